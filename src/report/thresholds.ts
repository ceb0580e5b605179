import {
  type Aggregation,
  aggregationText,
  compare,
  type ThresholdCondition,
  type ThresholdEntry,
  type ThresholdMetric,
  type ThresholdSpec,
  thresholdSpecs,
} from '../config/thresholds.js'
import type { ThresholdResult } from '../model/results.js'
import { histogramStats } from './histogram-stats.js'
import type { HistogramKind, MetricSource } from './metric-source.js'

/**
 * Judging a run: each condition of each threshold gives one ThresholdResult with the measured
 * value. A metric with no data (an endpoint the run does not have, a latency with no request,
 * an error rate of zero requests) gives value null and fails: a typo or a run that sent nothing
 * must not pass.
 */
export function evaluateThresholds(specs: readonly ThresholdSpec[], source: MetricSource): ThresholdResult[] {
  const results: ThresholdResult[] = []
  for (const spec of specs) {
    for (const condition of spec.conditions) {
      const value = measure(spec.name, spec.endpoint, condition.aggregation, source)
      results.push({
        metric: spec.metric,
        expr: condition.text,
        value,
        ok: value !== null && compare(value, condition.op, condition.bound),
        ...(spec.abortOnFail && { abortOnFail: true }),
      })
    }
  }
  return results
}

/**
 * The first failing abortOnFail threshold whose delay has passed, if any: a run's session
 * subscriber (commands/run.ts) calls this once a second and stops the run (end reason aborted_by_threshold) when it returns one.
 */
export function findAbort(
  specs: readonly ThresholdSpec[],
  source: MetricSource,
  elapsedMs: number,
): ThresholdResult | undefined {
  const due = specs.filter((s) => s.abortOnFail && elapsedMs >= s.delayAbortEvalMs)
  return due.length === 0 ? undefined : evaluateThresholds(due, source).find((r) => !r.ok)
}

const HISTOGRAM_OF: Partial<Record<ThresholdMetric, HistogramKind>> = {
  http_req_duration: 'latency',
  http_req_duration_from_send: 'fromSend',
  send_lag: 'sendLag',
}

const round = (x: number, decimals: number) => Number(x.toFixed(decimals))

/** The measured value of an aggregation of a metric: ms for durations (3 decimals), else a count or rate. */
export function measure(
  metric: ThresholdMetric,
  endpoint: string | undefined,
  aggregation: Aggregation,
  source: MetricSource,
): number | null {
  const kind = HISTOGRAM_OF[metric]
  if (kind !== undefined) {
    const h = source.histogram(endpoint, kind)
    if (!h || h.totalCount === 0) return null
    const stats = histogramStats(
      h,
      aggregation.kind === 'percentile' ? [aggregation.p] : aggregation.kind === 'med' ? [50] : [],
      source.extremes?.(endpoint, kind),
    )
    const us =
      aggregation.kind === 'percentile' || aggregation.kind === 'med'
        ? stats.percentiles[0]!
        : aggregation.kind === 'min'
          ? stats.min
          : aggregation.kind === 'max'
            ? stats.max
            : stats.mean
    return round(us / 1000, 3)
  }
  const counts = source.counts(endpoint)
  if (!counts) return null
  const ratio = (part: number, whole: number) => (whole === 0 ? null : round(part / whole, 6))
  switch (metric) {
    case 'http_req_failed':
      return ratio(counts.requests - counts.ok, counts.requests)
    case 'http_reqs':
      return aggregation.kind === 'count' ? counts.requests : ratio(counts.requests, source.durationS)
    case 'dropped':
      return aggregation.kind === 'count' ? counts.dropped : ratio(counts.dropped, counts.asked)
    default:
      return null
  }
}

/**
 * The built-in SLO set of the vets-api-checkin profile (docs/report.md explains the numbers).
 * Per-endpoint p(95) bounds are about 1.5x the time each request waits on its downstream calls
 * with the staging-2022 twin's betamocks delays (checkin-api.md §6): a healthy run against
 * staging or the twin (0.5x of the profile) passes, the `fast` stand-in (a few ms) passes with a
 * margin of 100x and more, and a collapsing run (backlog growing, 1x against the twin) fails as
 * soon as requests queue for a few seconds, or times out, or drops arrivals.
 */
export const DEFAULT_SLO_ENTRIES: readonly ThresholdEntry[] = [
  { metric: 'http_req_duration{endpoint:get_session}', conditions: ['p(95)<6000'] },
  { metric: 'http_req_duration{endpoint:post_session}', conditions: ['p(95)<3500'] },
  { metric: 'http_req_duration{endpoint:get_patient_check_in}', conditions: ['p(95)<6500'] },
  { metric: 'http_req_duration{endpoint:post_patient_check_in}', conditions: ['p(95)<7500'] },
  { metric: 'http_req_duration{endpoint:get_pre_check_in}', conditions: ['p(95)<1000'] },
  { metric: 'http_req_duration{endpoint:post_pre_check_in}', conditions: ['p(95)<3000'] },
  { metric: 'http_req_duration{endpoint:patch_demographics}', conditions: ['p(95)<2000'] },
  // browser traffic's CORS preflights: answered by Rack::Cors before any downstream call, so only
  // a queue for a worker makes them slow; not in the totals below, so judged on their own
  { metric: 'http_req_duration{endpoint:preflight}', conditions: ['p(95)<1000'] },
  { metric: 'http_req_failed{endpoint:preflight}', conditions: ['rate<0.01'] },
  { metric: 'http_req_duration', conditions: ['p(99)<10000'] },
  { metric: 'http_req_failed', conditions: ['rate<0.01'] },
  { metric: 'dropped', conditions: ['count==0'] },
]

export const DEFAULT_SLOS: readonly ThresholdSpec[] = Object.freeze(thresholdSpecs(DEFAULT_SLO_ENTRIES))

/** The default SLOs that apply to a run with these endpoints (per-endpoint ones only for its own). */
export function defaultSlosFor(endpoints: readonly string[]): ThresholdSpec[] {
  return DEFAULT_SLOS.filter((s) => s.endpoint === undefined || endpoints.includes(s.endpoint))
}

/** The part of a RunConfig that decides what a run is judged by. */
export interface JudgingConfig {
  readonly thresholds?: readonly ThresholdEntry[]
  readonly defaultSlos?: boolean
}

/**
 * A run's thresholds: its own, then the default SLOs unless switched off. `adaptDefaults` may
 * rewrite the default ones (a run against the time-scaled stand-in scales their latency bounds).
 */
export function runThresholds(
  config: JudgingConfig,
  endpoints: readonly string[],
  adaptDefaults: (defaults: ThresholdSpec[]) => ThresholdSpec[] = (defaults) => defaults,
): ThresholdSpec[] {
  const own = thresholdSpecs(config.thresholds ?? [])
  return withDefaults(own, config.defaultSlos === false ? [] : adaptDefaults(defaultSlosFor(endpoints)))
}

/**
 * A run's own thresholds, then the defaults that say something more: a default condition the user
 * also wrote (same metric, same condition) is judged and listed once, as the user's.
 */
export function withDefaults(
  own: readonly ThresholdSpec[],
  defaults: readonly ThresholdSpec[],
): ThresholdSpec[] {
  const written = new Set(own.flatMap((spec) => spec.conditions.map((c) => `${spec.metric} ${c.text}`)))
  const extra = defaults.flatMap((spec) => {
    const conditions = spec.conditions.filter((c) => !written.has(`${spec.metric} ${c.text}`))
    return conditions.length === 0 ? [] : [{ ...spec, conditions }]
  })
  return [...own, ...extra]
}

/** Metrics whose bounds are durations of the target's work (ms): they shrink with the stand-in's delays. */
const TARGET_DURATIONS: ReadonlySet<string> = new Set(['http_req_duration', 'http_req_duration_from_send'])

/**
 * SLOs for the time-scaled twin. With `--mock-time-scale F` every downstream delay of the stand-in
 * is multiplied by F; the capacity search runs the profile at 1/F of its rates, so that the busy
 * workers (rate x service time, Little's law) are those of the real system at the same share.
 * Latencies are then F times the real system's, so the latency bounds (written for the real
 * system) are multiplied by F too: the twin passes and fails where the real system would, and the
 * knee comes from the worker pool saturating, not from bounds that no longer fit the delays.
 * Rates (http_req_failed, dropped) do not change with time; send_lag is the generator's own delay
 * and keeps its bound; http_reqs counts and rates are left alone (they depend on the step's length
 * and the rate asked, which the search decides).
 */
export function timeScaledSlos(specs: readonly ThresholdSpec[], timeScale: number): ThresholdSpec[] {
  if (timeScale === 1) return [...specs]
  return specs.map((spec) =>
    TARGET_DURATIONS.has(spec.name)
      ? { ...spec, conditions: spec.conditions.map((c) => scaleCondition(c, timeScale)) }
      : spec,
  )
}

function scaleCondition(condition: ThresholdCondition, factor: number): ThresholdCondition {
  const bound = Number((condition.bound * factor).toPrecision(6))
  return { ...condition, bound, text: `${aggregationText(condition.aggregation)}${condition.op}${bound}` }
}
