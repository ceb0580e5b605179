import { compare, type Operator, type ThresholdCondition, thresholdSpec } from '../config/thresholds.js'
import type { ThresholdResult } from '../model/results.js'
import { deriveRates } from '../profile/derive.js'
import type { Profile } from '../profile/types.js'
import {
  assessGenerator,
  GENERATOR_LIMITS,
  type GeneratorAssessment,
  type GeneratorSecond,
  type SendLagMs,
  suspectSecondsAllowed,
} from './generator-health.js'
import type { StepResult } from './search.js'

const round = (x: number, decimals: number) => Number(x.toFixed(decimals))

export type { GeneratorAssessment, GeneratorSecond, SendLagMs }
export { assessGenerator, GENERATOR_LIMITS, suspectSecondsAllowed }

/**
 * Judging one capacity step, from its measured numbers (pure; step.ts measures them):
 * - did every SLO hold over the judged window, and if not, which broke first;
 * - can the verdict be the generator's doing rather than the target's. The capacity of the
 *   *target* must never be confused with the generator's: a step whose verdict the generator may
 *   have decided is `untrusted`, and the search stops there.
 *
 * The generator's health per second is the summary's (DESIGN.md §3): event-loop lag p99 over
 * 10 ms, CPU at 95 % of a core or more, requests sent late with connections free. How it bears on
 * a step's verdict:
 * - CPU saturated (in more than a quarter of the seconds): the generator is at its ceiling; the
 *   step is untrusted whatever the SLOs say.
 * - late (loop lag or send lag, in more than a quarter of the seconds): its timing is in doubt by
 *   a measured amount. A generator that is late only *adds* to the latencies it measures and
 *   bunches the arrivals it releases, so a step that *held* still held: it passes, with a warning.
 *   A step that failed is a failure of the target only if some SLO fails beyond that doubt (an
 *   error rate, dropped arrivals, or a latency still over its bound once the generator's own delay
 *   at that percentile is taken off); otherwise it is untrusted.
 * Why not "any second with lag over 10 ms spoils the step": on a shared machine the scheduler
 * alone stalls a process 10-30 ms a few times a second, which moves a p95 by nothing; the search
 * would stop on noise that cannot change its verdict.
 */

/**
 * A step must get its rate through: achieved (answered) req/s over the hold at least this share
 * of the rate the step intends (its share of the profile), whatever its latency. A saturated
 * target answers at its ceiling and no faster; within a short step its backlog may not yet have
 * pushed a latency percentile over its bound, but the shortfall shows at once (a step at 1.05x of
 * the knee delivers 95 %). 3 % leaves room for a constant schedule's edges and the visits in
 * flight at the hold's ends; see DELIVERY_FLOOR's use in deliveryFloor for Poisson arrivals.
 */
export const DELIVERY_FLOOR = 0.97

/** The metric name a delivery shortfall is listed under among a step's failures. */
export const DELIVERY_METRIC = 'delivery'

/** What a step intended and what it got through, for the delivery rule. */
export interface Delivery {
  /**
   * the rate the step intends, req/s: its share of the profile, every step of every visit. Not the
   * asked count, which holds later steps of a visit only once the earlier ones were answered: a
   * slow target lowers it, and the shortfall would hide in it.
   */
  readonly intendedRps: number
  /** requests answered (or failed) per second of the hold */
  readonly achievedRps: number
  /** judged hold seconds */
  readonly holdS: number
  /** visits intended per second (Poisson arrivals: the count's noise is the visits') */
  readonly visitsPerS?: number
  readonly arrival?: 'constant' | 'poisson'
}

/**
 * The floor a step's delivery is held to: DELIVERY_FLOOR, lowered for Poisson arrivals by three
 * standard deviations of the number of visits that arrive in the hold (a healthy step must not
 * fail by the luck of its arrivals).
 */
export function deliveryFloor(d: Delivery): number {
  if (d.arrival !== 'poisson' || !(d.visitsPerS && d.visitsPerS > 0)) return DELIVERY_FLOOR
  const visits = d.visitsPerS * d.holdS
  return round(Math.min(DELIVERY_FLOOR, 1 - 3 / Math.sqrt(visits)), 4)
}

/** The rates a profile intends at an engine scale: requests (every step of every visit) and visits, per second. */
export function intendedRates(profile: Profile, scale: number): { requestsPerS: number; visitsPerS: number } {
  const visitsPerMinute = profile.flows.reduce((sum, f) => sum + f.arrivalsPerMinute, 0)
  return { requestsPerS: deriveRates(profile, scale).totalRps, visitsPerS: (visitsPerMinute / 60) * scale }
}

/**
 * The delivery rule as a failure of the step, or nothing when it got its rate through. A late
 * generator sends late, so requests due at the hold's end may leave (and be answered) after it:
 * at most twice its worst delay (send or loop lag) of the hold's requests. The shortfall is the
 * target's when it stands with that taken off (a 35 ms stall cannot explain 7 % of 5 s), unless
 * the generator was suspect in most of the hold's seconds: then nothing bounds its own share.
 */
export function deliveryFailure(d: Delivery, generator: GeneratorAssessment): SloFailure | undefined {
  if (!(d.intendedRps > 0)) return undefined
  const ratio = d.achievedRps / d.intendedRps
  const floor = deliveryFloor(d)
  if (ratio >= floor) return undefined
  const delayMs = generator.late ? 2 * Math.max(generator.eventLoopLagMsP99, generator.sendLagMsP99) : 0
  const excused = d.holdS > 0 ? delayMs / (d.holdS * 1000) : 1
  // stalled in most seconds, the generator may have held back any share of the hold: no excuse bounds it
  const mostlyStalled = generator.suspectSeconds * 2 > generator.seconds
  return {
    metric: DELIVERY_METRIC,
    expr: `achieved/intended>=${floor}`,
    value: round(ratio, 4),
    firstFailedS: null,
    generatorDelayMs: round(delayMs, 3),
    beyondDoubt: !(generator.late && mostlyStalled) && ratio < floor - excused,
  }
}

/** A broken SLO of a step: the condition, what was measured, and when in the step it first failed. */
export interface SloFailure {
  readonly metric: string
  /** the endpoint tag of the metric, when it has one */
  readonly endpoint?: string
  readonly expr: string
  /** measured over the judged window; null: no data (nothing measured counts as a failure) */
  readonly value: number | null
  /**
   * seconds into the judged window when the condition, evaluated on everything measured so far,
   * first failed with data; null when it failed only for lack of data
   */
  readonly firstFailedS: number | null
  /**
   * how much of the value the generator's own delay may account for, ms (latency SLOs of a step
   * whose generator was late; 0 otherwise)
   */
  readonly generatorDelayMs: number
  /** the failure stands with the generator's delay taken off: it is the target's */
  readonly beyondDoubt: boolean
}

export interface StepJudgment {
  readonly result: StepResult
  /** every SLO held */
  readonly slosHeld: boolean
  /** the SLOs that broke, the first to break first */
  readonly failures: readonly SloFailure[]
  readonly generator: GeneratorAssessment
  /** why the step is untrusted, when it is */
  readonly untrustedBecause?: string
}

const ENDPOINT_TAG = /\{endpoint:([^}]+)\}/
const LATENCY_METRICS: ReadonlySet<string> = new Set(['http_req_duration', 'http_req_duration_from_send'])
/** metrics a late generator makes fail by itself: its own send lag, its own throughput */
const GENERATOR_METRICS: ReadonlySet<string> = new Set(['send_lag', 'http_reqs'])

interface ParsedCondition {
  readonly aggregation: string
  /** the percentile the aggregation reads (avg and med: 50; max: 100; min: 0) */
  readonly percentile: number
  readonly op: Operator
  readonly bound: number
}

/** A result's condition read back with the one threshold parser (config/thresholds.ts). */
function parseCondition(result: ThresholdResult): ParsedCondition | undefined {
  let condition: ThresholdCondition | undefined
  try {
    condition = thresholdSpec({ metric: result.metric, conditions: [result.expr] }).conditions[0]
  } catch {
    return undefined
  }
  if (!condition) return undefined
  const { aggregation, op, bound } = condition
  const percentile =
    aggregation.kind === 'percentile'
      ? aggregation.p
      : aggregation.kind === 'max'
        ? 100
        : aggregation.kind === 'min'
          ? 0
          : 50
  return { aggregation: aggregation.kind, percentile, op, bound }
}

/** The send lag at (or just above) a percentile. */
export function sendLagAt(lag: SendLagMs, percentile: number, mean = false): number {
  if (mean) return lag.mean
  if (percentile <= 50) return lag.p50
  if (percentile <= 90) return lag.p90
  if (percentile <= 95) return lag.p95
  if (percentile <= 99) return lag.p99
  if (percentile <= 99.9) return lag.p999
  return lag.max
}

/**
 * How much of a latency the generator's own delay may account for: a stall of its event loop
 * delays a request on the way out (its send lag, measured for every request) and, as likely, on
 * the way back. So: twice the send lag at the SLO's percentile, but never more than twice the
 * worst event-loop lag (a send can also wait for a connection, which is the target's backlog, not
 * the generator's delay, and a stall cannot outlast the loop's lag).
 */
export function generatorDelayMs(
  generator: GeneratorAssessment,
  lag: SendLagMs,
  condition: ParsedCondition,
): number {
  const send = sendLagAt(lag, condition.percentile, condition.aggregation === 'avg')
  return round(2 * Math.min(send, generator.eventLoopLagMsP99), 3)
}

/** How far a value is past its bound (for ordering failures that broke in the same second). */
function overshoot(result: ThresholdResult): number {
  const bound = parseCondition(result)?.bound ?? Number.NaN
  if (result.value === null) return Number.POSITIVE_INFINITY
  if (!(bound > 0)) return Math.abs(result.value - (Number.isFinite(bound) ? bound : 0))
  return result.value / bound
}

function metricName(metric: string): string {
  const brace = metric.indexOf('{')
  return brace < 0 ? metric : metric.slice(0, brace)
}

/** Whether a failed SLO is the target's failure beyond the generator's doubt, and that doubt (ms). */
function weighFailure(
  t: ThresholdResult,
  generator: GeneratorAssessment,
  lag: SendLagMs,
): { generatorDelayMs: number; beyondDoubt: boolean } {
  if (!generator.late || t.value === null) return { generatorDelayMs: 0, beyondDoubt: true }
  const name = metricName(t.metric)
  if (GENERATOR_METRICS.has(name)) return { generatorDelayMs: 0, beyondDoubt: false }
  const condition = parseCondition(t)
  if (!LATENCY_METRICS.has(name) || condition === undefined) return { generatorDelayMs: 0, beyondDoubt: true }
  // a late generator only adds to latencies: a bound from below (p(50)>1) cannot fail because of it
  if (condition.op !== '<' && condition.op !== '<=') return { generatorDelayMs: 0, beyondDoubt: true }
  const delay = generatorDelayMs(generator, lag, condition)
  return { generatorDelayMs: delay, beyondDoubt: !compare(t.value - delay, condition.op, condition.bound) }
}

/**
 * The step's verdict from its threshold results (over the judged window), the second at which
 * each first failed during the window (key: `metric expr`), the generator's health and the send
 * lag over the hold (see the rules at the top of this file).
 */
export function judgeStep(
  thresholds: readonly ThresholdResult[],
  firstFailedS: ReadonlyMap<string, number>,
  generator: GeneratorAssessment,
  sendLag: SendLagMs,
  delivery?: Delivery,
): StepJudgment {
  const failures: SloFailure[] = thresholds
    .filter((t) => !t.ok)
    .map((t) => {
      const endpoint = ENDPOINT_TAG.exec(t.metric)?.[1]
      return {
        metric: t.metric,
        ...(endpoint !== undefined && { endpoint }),
        expr: t.expr,
        value: t.value,
        firstFailedS: firstFailedS.get(thresholdKey(t)) ?? null,
        ...weighFailure(t, generator, sendLag),
      }
    })
  const order = new Map(thresholds.map((t) => [thresholdKey(t), overshoot(t)]))
  failures.sort((a, b) => {
    const fa = a.firstFailedS ?? Number.POSITIVE_INFINITY
    const fb = b.firstFailedS ?? Number.POSITIVE_INFINITY
    if (fa !== fb) return fa - fb
    return (order.get(thresholdKey(b)) ?? 0) - (order.get(thresholdKey(a)) ?? 0)
  })
  // a step that did not get its rate through is saturated, whatever its latency (listed after
  // the SLOs that broke: they say where; a shortfall alone says the target is at its ceiling)
  const shortfall = delivery && deliveryFailure(delivery, generator)
  if (shortfall) failures.push(shortfall)
  const slosHeld = failures.length === 0
  let untrustedBecause: string | undefined
  if (generator.saturated) {
    untrustedBecause = `the generator was at its ceiling: ${generator.warnings.join('; ')}`
  } else if (!slosHeld && !failures.some((f) => f.beyondDoubt)) {
    untrustedBecause =
      `every broken SLO is within what the generator's own delay can explain (${generator.warnings.join('; ')}): ` +
      failures
        .map(
          (f) =>
            `${f.metric} ${f.expr} measured ${f.value}${f.generatorDelayMs > 0 ? `, generator delay up to ${f.generatorDelayMs} ms` : ''}`,
        )
        .join('; ')
  }
  return {
    result: untrustedBecause !== undefined ? 'untrusted' : slosHeld ? 'pass' : 'fail',
    slosHeld,
    failures,
    generator,
    ...(untrustedBecause !== undefined && { untrustedBecause }),
  }
}

export function thresholdKey(t: { readonly metric: string; readonly expr: string }): string {
  return `${t.metric} ${t.expr}`
}
