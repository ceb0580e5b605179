import type { ThresholdSpec } from '../config/thresholds.js'
import type { ArrivalKind, ClockKind, EngineResult, Transport, VisitDataSource } from '../engine/index.js'
import type { RunObserver } from '../metrics/index.js'
import { isPreflightEndpoint } from '../model/endpoints.js'
import { type Histogram, newHistogram } from '../model/histogram.js'
import type { SeriesSecond, ThresholdResult } from '../model/results.js'
import type { FlowSpec } from '../profile/types.js'
import { evaluateThresholds } from '../report/index.js'
import { type LoadSource, Session } from '../session/index.js'
import { type GeneratorSecond, type SendLagMs, thresholdKey } from './judge.js'

/**
 * One step of the capacity search: a fresh engine holds one share of the profile against the
 * target for `warmupS + holdS` seconds, then lets the flows in flight finish. The warm-up seconds
 * are measured and written but not judged; the judged window is the hold plus the drain (requests
 * sent during the hold that finish after it are the slowest: leaving them out would flatter a
 * collapsing target). Flows still in flight when the drain ends count as timeouts.
 *
 * Everything the step measured goes to `seriesPath` (a series.ndjson of its own, so that
 * `checkin-load report` can rebuild the step's report), and comes back as a StepMeasurement.
 * The step is a session (src/session/): the per-second work runs out of the clock's tick, as a
 * run's does; this file only judges the seconds it is handed.
 */
export interface StepOptions {
  readonly target: string
  readonly flows: readonly FlowSpec[]
  readonly endpoints: readonly string[]
  /** engine scale of this step: share x the scale of 1x (--scale / time scale) */
  readonly engineScale: number
  /** share of the profile (in the profile's own units), written to the series header */
  readonly share: number
  readonly warmupS: number
  readonly holdS: number
  /** how long flows in flight may finish after the hold, ms */
  readonly drainTimeoutMs: number
  readonly arrival: ArrivalKind
  readonly seed: number
  readonly maxInFlight: number
  readonly connections?: number
  readonly connectionPerVisit?: boolean
  readonly timeoutMs: number
  readonly headers?: Readonly<Record<string, string>>
  readonly ca?: Buffer
  readonly insecure?: boolean
  readonly data?: VisitDataSource
  /** the HTTP client and the clock loop's wake-ups (engine defaults when absent) */
  readonly transport?: Transport
  readonly clock?: ClockKind
  readonly thresholds: readonly ThresholdSpec[]
  readonly seriesPath?: string
  readonly runId: string
  /** config and profile records for the series header */
  readonly config?: Record<string, unknown>
  readonly profile?: Record<string, unknown>
  /** consumers of the step's seconds (capacity --web's live page) */
  readonly observers?: readonly RunObserver[]
  /** the step's engine, as soon as it exists (to stop it) */
  onEngine?(engine: LoadSource): void
}

export interface EndpointNumbers {
  /** over the hold seconds: asked (sent + dropped) and completed per second */
  readonly askedRps: number
  readonly achievedRps: number
  /** over the judged window (hold + drain) */
  readonly requests: number
  readonly ok: number
  readonly errors: number
  readonly errorKinds: Readonly<Record<string, number>>
  readonly dropped: number
  readonly p50Ms: number
  readonly p95Ms: number
  readonly p99Ms: number
  readonly maxMs: number
}

export interface StepMeasurement {
  readonly startedAtMs: number
  readonly endedAtMs: number
  /** warm-up seconds (measured, not judged) */
  readonly warmupS: number
  /** hold seconds measured (fewer than asked when the step was stopped) */
  readonly holdSeconds: number
  readonly total: EndpointNumbers
  readonly endpoints: Readonly<Record<string, EndpointNumbers>>
  /** the SLOs over the judged window */
  readonly thresholds: readonly ThresholdResult[]
  /** `metric expr` -> seconds into the judged window when it first failed with data */
  readonly firstFailedS: ReadonlyMap<string, number>
  /** the generator's health in each hold second */
  readonly generatorSeconds: readonly GeneratorSecond[]
  /** send lag over the hold, all endpoints, ms */
  readonly sendLagMs: SendLagMs
  readonly engine: EngineResult
}

const round = (x: number, decimals: number) => Number(x.toFixed(decimals))

class HoldCounter {
  asked = 0
  requests = 0
}

export async function runStep(options: StepOptions): Promise<StepMeasurement> {
  const { endpoints, warmupS, holdS, thresholds } = options
  const hold = new Map(endpoints.map((id) => [id, new HoldCounter()]))
  const holdTotal = new HoldCounter()
  const holdSendLag = newHistogram()
  const generatorSeconds: GeneratorSecond[] = []
  const firstFailedS = new Map<string, number>()
  let holdSeconds = 0

  const session = new Session({
    load: {
      kind: 'engine',
      options: {
        target: options.target,
        flows: options.flows,
        stages: [{ durationMs: (warmupS + holdS) * 1000, target: 1 }],
        startShare: 1,
        scale: options.engineScale,
        arrival: options.arrival,
        seed: options.seed,
        maxInFlight: options.maxInFlight,
        ...(options.connections !== undefined && { connections: options.connections }),
        ...(options.connectionPerVisit === true && { connectionPerVisit: true }),
        timeoutMs: options.timeoutMs,
        drainTimeoutMs: options.drainTimeoutMs,
        ...(options.headers !== undefined && { headers: options.headers }),
        ...(options.ca !== undefined && { ca: options.ca }),
        ...(options.insecure !== undefined && { insecure: options.insecure }),
        ...(options.data !== undefined && { data: options.data }),
        ...(options.transport !== undefined && { transport: options.transport }),
        ...(options.clock !== undefined && { clock: options.clock }),
      },
    },
    endpoints,
    header: {
      runId: options.runId,
      target: options.target,
      config: {
        ...(options.config ?? {}),
        capacityStep: { share: options.share, warmupS, holdS, engineScale: options.engineScale },
      },
      profile: options.profile ?? {},
      endpoints: [...endpoints],
    },
    ...(options.seriesPath !== undefined && { seriesPath: options.seriesPath }),
    ...(options.observers !== undefined && { observers: options.observers }),
    // the warm-up seconds are written, not judged
    judgeFromS: warmupS,
    chart: false,
  })
  session.onSecond(({ t, second, decoded, judged, summary }) => {
    if (!judged) return
    if (t < warmupS + holdS) {
      holdSeconds++
      const lag = newHistogram()
      for (const [id, interval] of decoded.endpoints) {
        const counter = hold.get(id)
        if (counter) addHold(counter, interval.stats)
        // the total is the profile's table, as the summary's: preflights are a row apart
        if (!isPreflightEndpoint(id)) addHold(holdTotal, interval.stats)
        if (interval.histograms.sendLag.totalCount > 0) lag.add(interval.histograms.sendLag)
      }
      if (lag.totalCount > 0) holdSendLag.add(lag)
      generatorSeconds.push({
        eventLoopLagMsP99: second.generator.eventLoopLagMsP99,
        cpuPct: second.generator.cpuPct,
        sendLagMsP99: lag.totalCount > 0 ? lag.getValueAtPercentile(99) / 1000 : 0,
      })
    }
    // when did each SLO first fail, judged on everything measured so far (failures with data)
    for (const r of evaluateThresholds(thresholds, summary)) {
      const key = thresholdKey(r)
      if (!r.ok && r.value !== null && !firstFailedS.has(key)) firstFailedS.set(key, t - warmupS)
    }
  })
  options.onEngine?.(session.engine)
  const outcome = await session.run()
  if (outcome.headerFailure !== undefined) throw outcome.headerFailure
  const result = outcome.engine
  const startedAtMs = outcome.header!.startedAtMs
  const summary = outcome.summary!.build({ endReason: outcome.endReason, thresholds })
  const numbers = (id: string | undefined, counter: HoldCounter): EndpointNumbers => {
    const e = id === undefined ? summary.total : summary.endpoints[id]
    const errorKinds = (e?.errors ?? {}) as Record<string, number>
    return {
      askedRps: holdSeconds > 0 ? round(counter.asked / holdSeconds, 3) : 0,
      achievedRps: holdSeconds > 0 ? round(counter.requests / holdSeconds, 3) : 0,
      requests: e?.requests ?? 0,
      ok: e?.ok ?? 0,
      errors: Object.values(errorKinds).reduce((a, b) => a + b, 0),
      errorKinds,
      dropped: e?.dropped ?? 0,
      p50Ms: e?.latencyMs.p50 ?? 0,
      p95Ms: e?.latencyMs.p95 ?? 0,
      p99Ms: e?.latencyMs.p99 ?? 0,
      maxMs: e?.latencyMs.max ?? 0,
    }
  }
  return {
    startedAtMs,
    endedAtMs: result.endedAtMs,
    warmupS,
    holdSeconds,
    total: numbers(undefined, holdTotal),
    endpoints: Object.fromEntries(endpoints.map((id) => [id, numbers(id, hold.get(id)!)])),
    thresholds: summary.thresholds,
    firstFailedS,
    generatorSeconds,
    sendLagMs: sendLagMs(holdSendLag),
    engine: result,
  }
}

function sendLagMs(h: Histogram): SendLagMs {
  if (h.totalCount === 0) return { p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0, mean: 0 }
  const ms = (us: number) => round(us / 1000, 3)
  return {
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p95: ms(h.getValueAtPercentile(95)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
    mean: ms(h.mean),
  }
}

function addHold(counter: HoldCounter, stats: SeriesSecond['endpoints'][string]): void {
  counter.asked += stats.asked
  counter.requests += stats.requests
}
