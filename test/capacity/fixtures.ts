import type { CapacitySearchResult, StepRecord } from '../../src/capacity/driver.js'
import { assessGenerator, judgeStep, type SendLagMs } from '../../src/capacity/judge.js'
import type { Phase, StepResult, Verdict } from '../../src/capacity/search.js'
import type { EndpointNumbers, StepMeasurement } from '../../src/capacity/step.js'
import type { ThresholdResult } from '../../src/model/results.js'

/** Fake steps and searches for the tests of verdicts and pages (no load is sent). */
const NO_LAG: SendLagMs = { p50: 0.1, p90: 0.2, p95: 0.3, p99: 0.8, p999: 2, max: 4, mean: 0.15 }

function numbers(rps: number, p95Ms: number): EndpointNumbers {
  return {
    askedRps: rps,
    achievedRps: rps,
    requests: Math.round(rps * 10),
    ok: Math.round(rps * 10),
    errors: 0,
    errorKinds: {},
    dropped: 0,
    p50Ms: p95Ms / 2,
    p95Ms,
    p99Ms: p95Ms * 1.2,
    maxMs: p95Ms * 2,
  }
}

export interface FakeStep {
  readonly share: number
  readonly result: StepResult
  readonly phase?: Phase
  /** failed thresholds of a failing step */
  readonly failures?: readonly ThresholdResult[]
  readonly p95Ms?: number
}

/** A step at `share` of a profile of `rpsAt1x` req/s. */
export function fakeStep(index: number, step: FakeStep, rpsAt1x = 200): StepRecord {
  const rps = step.share * rpsAt1x
  const calm = { eventLoopLagMsP99: 1, cpuPct: 20, sendLagMsP99: 0.5 }
  const lagging = { eventLoopLagMsP99: 60, cpuPct: 40, sendLagMsP99: 50 }
  const seconds = step.result === 'untrusted' ? [lagging, lagging, lagging] : [calm, calm, calm]
  const thresholds: ThresholdResult[] = step.failures
    ? [...step.failures]
    : [{ metric: 'dropped', expr: 'count==0', value: 0, ok: true }]
  const measurement: StepMeasurement = {
    startedAtMs: Date.UTC(2026, 10, 27, 10, 0, index * 20),
    endedAtMs: Date.UTC(2026, 10, 27, 10, 0, index * 20 + 15),
    warmupS: 3,
    holdSeconds: 10,
    total: numbers(rps, step.p95Ms ?? 100 * step.share),
    endpoints: { get_session: numbers(rps / 2, 80), post_session: numbers(rps / 2, 120) },
    thresholds,
    firstFailedS: new Map(thresholds.filter((t) => !t.ok).map((t, i) => [`${t.metric} ${t.expr}`, i + 2])),
    generatorSeconds: seconds,
    sendLagMs: step.result === 'untrusted' ? { ...NO_LAG, p95: 45, p99: 50, p50: 30, mean: 30 } : NO_LAG,
    engine: {
      startedAtMs: 0,
      endedAtMs: 0,
      stopped: false,
      aborted: false,
      abandonedInFlight: 0,
      arrivals: 0,
      droppedArrivals: 0,
      connections: 10,
      waitedForConnection: 0,
    },
  }
  const judgment = judgeStep(
    thresholds,
    measurement.firstFailedS,
    assessGenerator(seconds, 0),
    measurement.sendLagMs,
  )
  return {
    index,
    share: step.share,
    phase: step.phase ?? 'ramp',
    result: judgment.result,
    measurement,
    judgment,
  }
}

export function fakeSearch(
  steps: readonly FakeStep[],
  verdict: Verdict,
  rpsAt1x = 200,
): CapacitySearchResult {
  return {
    startedAtMs: Date.UTC(2026, 10, 27, 10, 0, 0),
    endedAtMs: Date.UTC(2026, 10, 27, 10, 3, 0),
    steps: steps.map((s, i) => fakeStep(i + 1, s, rpsAt1x)),
    verdict,
  }
}

/** The pre_check_in latency SLO failing (for the judge: a failure beyond doubt when the generator is calm). */
export const PRE_CHECK_IN_SLOW: ThresholdResult = {
  metric: 'http_req_duration{endpoint:get_pre_check_in}',
  expr: 'p(95)<250',
  value: 900,
  ok: false,
}
