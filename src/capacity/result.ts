import type { CoolDownReport } from './cooldown.js'
import type { CapacitySearchResult, StepRecord } from './driver.js'
import type { GeneratorAssessment, SendLagMs, SloFailure } from './judge.js'
import { bracket, type Phase, type Verdict } from './search.js'
import type { SloRecord } from './slo.js'

/**
 * capacity.json: the record of a capacity search, written to <out>/<run-id>/capacity.json. A
 * public file (users script against it, like summary.json): every step with its numbers and why
 * it passed or failed, and the verdict. Shares are shares of the profile as the user gave it
 * (--scale included, time scaling compensated: see docs/capacity.md); rates per step are the rates
 * actually sent; latencies are as measured (the twin's, when time-scaled).
 */
export const CAPACITY_SCHEMA_VERSION = 1
export const CAPACITY_FILE = 'capacity.json'
export const CAPACITY_REPORT_FILE = 'capacity.html'

export interface LatencyMs {
  readonly p50: number
  readonly p95: number
  readonly p99: number
  readonly max: number
}

export interface CapacityStepEndpoint {
  readonly askedRps: number
  readonly achievedRps: number
  readonly latencyMs: LatencyMs
  readonly requests: number
  readonly errors: number
  readonly dropped: number
}

export interface CapacityStep {
  /** 1-based */
  readonly index: number
  /** share of the profile held */
  readonly share: number
  readonly phase: Phase
  /** pass | fail | untrusted (the generator may have decided it) | interrupted (not judged) */
  readonly result: StepRecord['result']
  readonly startedAt: string
  readonly warmupS: number
  /** judged hold seconds measured */
  readonly holdS: number
  /** the rate the share asks for, req/s (as sent: time scaling included) */
  readonly expectedRps: number
  /** over the hold: asked (sent + dropped) and completed, req/s */
  readonly askedRps: number
  readonly achievedRps: number
  /** over the judged window (hold and drain), from the intended send time */
  readonly latencyMs: LatencyMs
  readonly requests: number
  readonly ok: number
  readonly errors: number
  readonly errorKinds: Readonly<Record<string, number>>
  readonly dropped: number
  /** flows still in flight when the drain ended (counted as timeouts) */
  readonly abandonedInFlight: number
  readonly endpoints: Readonly<Record<string, CapacityStepEndpoint>>
  /** the SLOs that broke, the first to break first (empty when all held) */
  readonly failures: readonly SloFailure[]
  readonly generator: GeneratorAssessment & {
    readonly sendLagMs: SendLagMs
    readonly untrustedBecause?: string
  }
  /** the rest the target had before this step */
  readonly coolDown?: CoolDownReport
  /** the step's per-second series, relative to the run folder */
  readonly series?: string
}

export interface LoadAtShare {
  readonly share: number
  /** the profile's total rate at that share (real units: time scaling compensated) */
  readonly totalRps: number
  readonly totalRpm: number
  readonly endpoints: Readonly<Record<string, { readonly rpm: number; readonly rps: number }>>
}

export interface CapacityVerdict {
  readonly kind: Verdict['kind']
  /** one paragraph for people */
  readonly message: string
  /** the highest share that held (below the lowest that failed) */
  readonly held?: LoadAtShare
  /** the lowest share that failed, and which SLO broke first there */
  readonly failed?: LoadAtShare & {
    readonly brokeFirst?: SloFailure
    readonly failures: readonly SloFailure[]
  }
  /** the step where the generator was the bottleneck */
  readonly generatorLimited?: { readonly share: number; readonly because: string }
  /** 1x of the profile held (a step at 1x or above passed, and none below it failed) */
  readonly oneXHeld: boolean
}

export interface CapacityFile {
  readonly schemaVersion: typeof CAPACITY_SCHEMA_VERSION
  readonly kind: 'capacity'
  readonly runId: string
  readonly target: string
  /** the embedded stand-in, when the command started one */
  readonly embedded?: { readonly preset: string; readonly workers: number; readonly timeScale: number }
  readonly startedAt: string
  readonly endedAt: string
  readonly durationS: number
  readonly profile: {
    readonly name: string
    /** --scale: 1x of the search is the profile x this */
    readonly scale: number
    /** --mock-time-scale of the embedded stand-in; the search sends rates / timeScale */
    readonly timeScale: number
    /** the profile at 1x (x --scale), real units */
    readonly totalRps: number
    readonly totalRpm: number
    readonly endpoints: Readonly<Record<string, { readonly rpm: number; readonly rps: number }>>
  }
  readonly settings: {
    readonly start: number
    readonly factor: number
    readonly precision: number
    readonly maxScale: number
    readonly minScale: number
    readonly stepDurationS: number
    readonly warmupS: number
    readonly maxDurationS: number
    readonly coolDown: string
    /** arrival process of the steps */
    readonly arrival: string
    readonly seed: number
  }
  readonly slos: readonly SloRecord[]
  /** Little's law, for the embedded stand-in: the share at which its pool saturates */
  readonly prediction?: {
    readonly preset: string
    readonly workers: number
    readonly busyWorkersAt1x: number
    readonly saturationShare: number
  }
  readonly steps: readonly CapacityStep[]
  readonly verdict: CapacityVerdict
  /** 0 when 1x held, 99 when not */
  readonly exitCode: 0 | 99
}

/** The profile at 1x, real units (what a share multiplies). */
export interface ProfileAt1x {
  readonly totalRps: number
  readonly endpoints: readonly { readonly endpoint: string; readonly rps: number }[]
}

const round = (x: number, decimals: number) => Number(x.toFixed(decimals))

export function loadAtShare(profile: ProfileAt1x, share: number): LoadAtShare {
  return {
    share,
    totalRps: round(profile.totalRps * share, 3),
    totalRpm: round(profile.totalRps * share * 60, 1),
    endpoints: Object.fromEntries(
      profile.endpoints.map((e) => [
        e.endpoint,
        { rpm: round(e.rps * share * 60, 1), rps: round(e.rps * share, 3) },
      ]),
    ),
  }
}

export function stepRecord(step: StepRecord, expectedRps: number, series?: string): CapacityStep {
  const m = step.measurement
  const latency = (e: { p50Ms: number; p95Ms: number; p99Ms: number; maxMs: number }): LatencyMs => ({
    p50: e.p50Ms,
    p95: e.p95Ms,
    p99: e.p99Ms,
    max: e.maxMs,
  })
  return {
    index: step.index,
    share: step.share,
    phase: step.phase,
    result: step.result,
    startedAt: new Date(m.startedAtMs).toISOString(),
    warmupS: m.warmupS,
    holdS: m.holdSeconds,
    expectedRps: round(expectedRps, 3),
    askedRps: m.total.askedRps,
    achievedRps: m.total.achievedRps,
    latencyMs: latency(m.total),
    requests: m.total.requests,
    ok: m.total.ok,
    errors: m.total.errors,
    errorKinds: m.total.errorKinds,
    dropped: m.total.dropped,
    abandonedInFlight: m.engine.abandonedInFlight,
    endpoints: Object.fromEntries(
      Object.entries(m.endpoints).map(([id, e]) => [
        id,
        {
          askedRps: e.askedRps,
          achievedRps: e.achievedRps,
          latencyMs: latency(e),
          requests: e.requests,
          errors: e.errors,
          dropped: e.dropped,
        },
      ]),
    ),
    failures: step.judgment.failures,
    generator: {
      ...step.judgment.generator,
      sendLagMs: m.sendLagMs,
      ...(step.judgment.untrustedBecause !== undefined && {
        untrustedBecause: step.judgment.untrustedBecause,
      }),
    },
    ...(step.coolDown !== undefined && { coolDown: step.coolDown }),
    ...(series !== undefined && { series }),
  }
}

const fmtShare = (share: number) => `${share}x`
const fmtRps = (rps: number) => rps.toLocaleString('en-US', { maximumFractionDigits: 1 })
const fmtValue = (f: SloFailure) =>
  f.value === null
    ? 'no data'
    : /^(http_req_duration|send_lag)/.test(f.metric)
      ? `${f.value.toLocaleString('en-US', { maximumFractionDigits: 1 })} ms`
      : f.expr.startsWith('rate')
        ? `${(f.value * 100).toLocaleString('en-US', { maximumFractionDigits: 2 })}%`
        : f.value.toLocaleString('en-US')

/** "http_req_duration{endpoint:get_pre_check_in} p(95)<100 (measured 412 ms)" */
export function describeFailure(f: SloFailure): string {
  return `${f.metric} ${f.expr} (measured ${fmtValue(f)})`
}

/** The verdict of a search, for capacity.json and the terminal. */
export function buildVerdict(
  result: CapacitySearchResult,
  profile: ProfileAt1x,
  options: { readonly maxDurationS?: number } = {},
): CapacityVerdict {
  const verdict = result.verdict
  const judged = result.steps
    .filter((s) => s.result !== 'interrupted')
    .map((s) => ({ share: s.share, result: s.result as 'pass' | 'fail' | 'untrusted' }))
  const { held, failed } = bracket(judged)
  const failedStep =
    failed !== undefined ? result.steps.find((s) => s.share === failed && s.result === 'fail') : undefined
  const heldLoad = held !== undefined ? loadAtShare(profile, held) : undefined
  const failedLoad =
    failed !== undefined
      ? {
          ...loadAtShare(profile, failed),
          ...(failedStep?.judgment.failures[0] !== undefined && {
            brokeFirst: failedStep.judgment.failures[0],
          }),
          failures: failedStep?.judgment.failures ?? [],
        }
      : undefined
  const untrusted =
    verdict.kind === 'generator_limited'
      ? [...result.steps].reverse().find((s) => s.result === 'untrusted')
      : undefined
  const oneXHeld = held !== undefined && held >= 1
  const heldText = heldLoad
    ? `held ${fmtShare(heldLoad.share)} of the profile (${fmtRps(heldLoad.totalRps)} req/s, ${fmtRps(heldLoad.totalRpm)} rpm)`
    : undefined
  const brokeText = failedLoad?.brokeFirst
    ? `; ${describeFailure(failedLoad.brokeFirst)} broke first${failedLoad.brokeFirst.endpoint ? `, at ${failedLoad.brokeFirst.endpoint}` : ''}`
    : ''
  const failedText = failedLoad
    ? `failed at ${fmtShare(failedLoad.share)} (${fmtRps(failedLoad.totalRps)} req/s)${brokeText}`
    : undefined
  const known = [heldText, failedText].filter(Boolean).join('; ')
  let message: string
  switch (verdict.kind) {
    case 'found':
      message = `Capacity: ${known}. The target holds between ${fmtShare(verdict.held)} and ${fmtShare(verdict.failed)} of the profile.`
      break
    case 'above_max':
      message = `The target held the highest share tried, ${fmtShare(verdict.held)} (${fmtRps(heldLoad!.totalRps)} req/s): its capacity is above it (raise --max-scale to look further).`
      break
    case 'below_min':
      message = `The target failed even at the lowest share tried: ${failedText}. Its capacity is below ${fmtShare(verdict.failed)} (lower --min-scale to look further).`
      break
    case 'generator_limited':
      message =
        `The generator, not the target, was the bottleneck at ${fmtShare(verdict.share)}: ${untrusted?.judgment.untrustedBecause ?? 'its timing could not be trusted'}. ` +
        'No capacity of the target can be read from that step; give the generator more room (a quieter machine, more --workers, or more machines). ' +
        (heldLoad && failedLoad
          ? `Before it the target held ${fmtShare(heldLoad.share)} and failed at ${fmtShare(failedLoad.share)}${brokeText}: its capacity is between them (a gap of ${Math.round((failedLoad.share / heldLoad.share - 1) * 100)} %).`
          : known
            ? `Known before it: ${known} (a lower bound of the target's capacity).`
            : 'No step held before it.')
      break
    case 'time_limit':
      message = `The time limit${options.maxDurationS ? ` (${options.maxDurationS} s)` : ''} came before the precision: ${known || 'no step was judged'}.`
      break
    case 'interrupted':
      message = `Stopped before the end: ${known || 'no step was judged'}.`
      break
  }
  return {
    kind: verdict.kind,
    message,
    ...(heldLoad !== undefined && { held: heldLoad }),
    ...(failedLoad !== undefined && { failed: failedLoad }),
    ...(untrusted !== undefined && {
      generatorLimited: { share: untrusted.share, because: untrusted.judgment.untrustedBecause ?? '' },
    }),
    oneXHeld,
  }
}
