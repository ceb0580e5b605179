import {
  aggregationText,
  type ThresholdCondition,
  type ThresholdEntry,
  type ThresholdSpec,
  thresholdSpecs,
} from '../config/thresholds.js'
import { ConfigError } from '../errors.js'
import { defaultSlosFor } from '../report/index.js'

/**
 * What a capacity step is judged by: the user's SLOs (--slo, --threshold, the config file's
 * thresholds), then the built-in SLO set of the profile's endpoints unless --no-default-slos. The
 * built-in set ends with `http_req_failed: rate<0.01` and `dropped: count==0`: a step that loses
 * requests or cannot send them all does not hold, whatever its latency.
 */
export function capacitySlos(
  config: { readonly thresholds?: readonly ThresholdEntry[]; readonly defaultSlos?: boolean },
  endpoints: readonly string[],
): ThresholdSpec[] {
  const specs = [
    ...thresholdSpecs(config.thresholds ?? [], 'SLO'),
    ...(config.defaultSlos === false ? [] : defaultSlosFor(endpoints)),
  ]
  if (specs.length === 0) {
    throw new ConfigError(
      'nothing to judge the steps by: give an --slo (like "http_req_duration: p(95)<500") or drop --no-default-slos',
    )
  }
  return specs
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

/** One SLO condition as capacity.json lists it: as written, and as judged (after time scaling). */
export interface SloRecord {
  readonly metric: string
  /** the condition as written, e.g. p(95)<1000 */
  readonly expr: string
  /** the condition the steps were judged by, e.g. p(95)<100 with --mock-time-scale 0.1 */
  readonly judgedExpr: string
}

export function sloRecords(written: readonly ThresholdSpec[], judged: readonly ThresholdSpec[]): SloRecord[] {
  const out: SloRecord[] = []
  written.forEach((spec, i) => {
    spec.conditions.forEach((condition, j) => {
      out.push({
        metric: spec.metric,
        expr: condition.text,
        judgedExpr: judged[i]?.conditions[j]?.text ?? condition.text,
      })
    })
  })
  return out
}
