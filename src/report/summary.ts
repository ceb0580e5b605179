import type { ThresholdSpec } from '../config/thresholds.js'
import { TRUST_LIMITS } from '../metrics/health.js'
import { isPreflightEndpoint } from '../model/endpoints.js'
import type { ErrorKind } from '../model/error-kinds.js'
import { encodeHistogram, type Histogram, newHistogram, recordUs } from '../model/histogram.js'
import {
  type EndpointSummary,
  SCHEMA_VERSION,
  type SeriesHeader,
  type SeriesSecond,
  type Shard,
  type Summary,
} from '../model/results.js'
import {
  addExtremes,
  addHistograms,
  type DecodedInterval,
  type DecodedSecond,
  decodeSecond,
  type ExtremesByKind,
} from './decoded-second.js'
import { type Extremes, histogramStats, latencyStatsMs } from './histogram-stats.js'
import type { Counts, HistogramKind, MetricSource } from './metric-source.js'
import { evaluateThresholds } from './thresholds.js'

/**
 * Folds the second lines of a run into its summary, incrementally: per endpoint and in total,
 * counts add and the decoded histograms are added into cumulative ones, so memory stays flat
 * whatever the run's length. The engine feeds it as the run goes and builds the end-of-run
 * summary from it; `checkin-load report` feeds it from series.ndjson: both give the same summary.
 * build() costs a few ms (it encodes 3 histograms per endpoint); the once-a-second abort check
 * only needs `findAbort(specs, builder, elapsedMs)`, which reads the live histograms.
 */

/** Generator health: a second whose event-loop lag p99 is over this is suspect. */
export const LAG_LIMIT_MS = TRUST_LIMITS.eventLoopLagMsP99
/** Generator health: a second at or over this CPU (% of one core) is suspect. */
export const CPU_LIMIT_PCT = TRUST_LIMITS.cpuPct
/** Suspect seconds allowed before the generator's numbers are called untrustworthy. */
export const suspectSecondsAllowed = (seconds: number) => Math.max(3, Math.ceil(seconds * 0.05))

class Accumulator implements Counts {
  asked = 0
  requests = 0
  ok = 0
  dropped = 0
  readonly errors = new Map<ErrorKind, number>()
  readonly status = new Map<string, number>()
  readonly histograms: Record<HistogramKind, Histogram> = {
    latency: newHistogram(),
    fromSend: newHistogram(),
    sendLag: newHistogram(),
  }
  /** the exact extremes recorded, kept apart: the histograms' buckets only bound them */
  readonly extremes: ExtremesByKind = {}

  add(interval: DecodedInterval): void {
    const s = interval.stats
    this.asked += s.asked
    this.requests += s.requests
    this.ok += s.ok
    this.dropped += s.dropped
    for (const [kind, n] of Object.entries(s.errors) as [ErrorKind, number][]) {
      this.errors.set(kind, (this.errors.get(kind) ?? 0) + n)
    }
    for (const [code, n] of Object.entries(s.status)) this.status.set(code, (this.status.get(code) ?? 0) + n)
    addHistograms(this.histograms, interval.histograms)
    addExtremes(this.extremes, interval)
  }

  /** Counts and latencies; rates over `loadS`, the load window. */
  summary(loadS: number): EndpointSummary {
    const rps = (n: number) => (loadS > 0 ? round(n / loadS, 3) : 0)
    return {
      requests: this.requests,
      ok: this.ok,
      dropped: this.dropped,
      errors: sortedRecord(this.errors),
      status: sortedRecord(this.status),
      expectedRps: rps(this.asked),
      achievedRps: rps(this.requests),
      latencyMs: latencyStatsMs(this.histograms.latency, this.extremes.latency),
      latencyFromSendMs: latencyStatsMs(this.histograms.fromSend, this.extremes.fromSend),
      sendLagMs: latencyStatsMs(this.histograms.sendLag, this.extremes.sendLag),
      histogram: encodeHistogram(this.histograms.latency),
      histogramFromSend: encodeHistogram(this.histograms.fromSend),
      histogramSendLag: encodeHistogram(this.histograms.sendLag),
    }
  }
}

/** Generator health over the run, from its per-second readings. */
class GeneratorHealth {
  private seconds = 0
  private cpuSum = 0
  private maxRssMb = 0
  private lagOver = 0
  private cpuOver = 0
  private worstLagMs = 0
  private waitedForConnection = 0
  private worstConnectionWaitMs = 0
  private worstSendLagMs = 0
  private hasSendLag = false
  /** per-second lag p99 values, µs, in a histogram so that memory stays flat */
  private readonly lag = newHistogram()

  add(g: SeriesSecond['generator']): void {
    this.seconds++
    this.cpuSum += g.cpuPct
    this.maxRssMb = Math.max(this.maxRssMb, g.rssMb)
    this.worstLagMs = Math.max(this.worstLagMs, g.eventLoopLagMsP99)
    recordUs(this.lag, g.eventLoopLagMsP99 * 1000)
    if (g.sendLagMsP99 !== undefined) {
      this.hasSendLag = true
      this.worstSendLagMs = Math.max(this.worstSendLagMs, g.sendLagMsP99)
    }
    if (g.waitedForConnection !== undefined) {
      this.waitedForConnection += g.waitedForConnection
      this.worstConnectionWaitMs = Math.max(this.worstConnectionWaitMs, g.connectionWaitMsP99 ?? 0)
    }
    if (g.eventLoopLagMsP99 > LAG_LIMIT_MS) this.lagOver++
    if (g.cpuPct >= CPU_LIMIT_PCT) this.cpuOver++
  }

  summary(): Summary['generator'] {
    const allowed = suspectSecondsAllowed(this.seconds)
    const warnings: string[] = []
    if (this.lagOver > allowed) {
      warnings.push(
        `event-loop lag p99 was over ${LAG_LIMIT_MS} ms in ${this.lagOver} of ${this.seconds} seconds (worst ${round(this.worstLagMs, 1)} ms): ` +
          'latencies include the generator’s own delay; lower the rate or add --workers',
      )
    }
    if (this.cpuOver > allowed) {
      warnings.push(
        `the generator used ${CPU_LIMIT_PCT}% or more of a core in ${this.cpuOver} of ${this.seconds} seconds: ` +
          'it may be the bottleneck; add --workers or another machine',
      )
    }
    return {
      eventLoopLagMsP99:
        this.seconds === 0 ? 0 : round(histogramStats(this.lag, [99]).percentiles[0]! / 1000, 3),
      cpuPct: this.seconds === 0 ? 0 : round(this.cpuSum / this.seconds, 1),
      maxRssMb: round(this.maxRssMb, 1),
      trustworthy: warnings.length === 0,
      warnings,
      ...(this.hasSendLag && { sendLagMsP99: round(this.worstSendLagMs, 3) }),
      ...(this.waitedForConnection > 0 && {
        waitedForConnection: this.waitedForConnection,
        connectionWaitMsP99: round(this.worstConnectionWaitMs, 3),
        connectionNote:
          `${this.waitedForConnection} requests waited for a free connection of the shared pool ` +
          `(worst second's p99 ${round(this.worstConnectionWaitMs, 1)} ms; send lag p99 ${round(this.worstSendLagMs, 1)} ms): ` +
          'the pool was full, not the generator late. Browsers do not share a pool: leave out --connections ' +
          'with browser traffic for a connection per visit, or raise --connections',
      }),
    }
  }
}

export interface BuildOptions {
  /** ISO time the run ended; default: the end of the last second folded in */
  readonly endedAt?: string
  readonly endReason: Summary['endReason']
  readonly thresholds: readonly ThresholdSpec[]
}

export class SummaryBuilder implements MetricSource {
  private readonly endpoints = new Map<string, Accumulator>()
  private readonly all = new Accumulator()
  private readonly generator = new GeneratorHealth()
  private seconds = 0
  private lastT = -1
  /** the last second in which arrivals were due (asked > 0): the load ended in it at the latest */
  private lastAskedT = -1

  constructor(private readonly header: SeriesHeader) {
    for (const id of header.endpoints) this.endpoints.set(id, new Accumulator())
  }

  /** Folds one second in; pass its decoded form when another consumer decoded it already. */
  add(second: SeriesSecond, decoded: DecodedSecond = decodeSecond(second)): void {
    for (const piece of this.addPieces(second, decoded)) piece()
  }

  /** add() in pieces to run in order, one per endpoint (see ChartRecorder.addPieces). */
  addPieces(second: SeriesSecond, decoded: DecodedSecond): (() => void)[] {
    const pieces: (() => void)[] = [
      () => {
        this.seconds++
        this.lastT = Math.max(this.lastT, second.t)
        this.generator.add(second.generator)
      },
    ]
    for (const [id, interval] of decoded.endpoints) {
      pieces.push(() => {
        let acc = this.endpoints.get(id)
        if (!acc) {
          acc = new Accumulator()
          this.endpoints.set(id, acc)
        }
        acc.add(interval)
        // the total is the profile's table: CORS preflights are a row of their own, judged apart
        if (!isPreflightEndpoint(id)) this.all.add(interval)
        if (interval.stats.asked > 0) this.lastAskedT = Math.max(this.lastAskedT, second.t)
      })
    }
    return pieces
  }

  /** Seconds folded in so far. */
  get durationS(): number {
    return this.seconds
  }

  /**
   * The run's length: the last second line covers a whole second even when the run ended early
   * in it, so with a known end time the last second counts only as far as the end (a 5 s run is
   * 5.0 s, not 6); without one (a killed run), whole seconds.
   */
  private runDurationS(endedAt: string | undefined): number {
    const endMs = endedAt === undefined ? Number.NaN : Date.parse(endedAt)
    if (Number.isNaN(endMs) || this.seconds === 0) return this.seconds
    const elapsedS = (endMs - this.header.startedAtMs) / 1000
    return round(Math.min(this.seconds, Math.max(this.seconds - 1, elapsedS)), 3)
  }

  /**
   * The load window, over which rates are taken: the stages' length for a run that ran them all;
   * for one that ended early (stopped, aborted, killed), up to the end of the last second in which
   * arrivals were due. Never the drain after it (the last answers coming back): two runs that sent
   * the same requests must show the same rates however fast their last answers came.
   */
  private loadWindowS(durationS: number, endReason: Summary['endReason']): number {
    const plannedS = plannedSecondsOf(this.header.config)
    if (endReason === 'completed' && plannedS !== undefined) return round(Math.min(plannedS, durationS), 3)
    const arrivalsEndS = this.lastAskedT + 1
    return round(Math.min(plannedS ?? Number.POSITIVE_INFINITY, arrivalsEndS, durationS), 3)
  }

  counts(endpoint: string | undefined): Counts | undefined {
    return this.accumulator(endpoint)
  }

  histogram(endpoint: string | undefined, kind: HistogramKind): Histogram | undefined {
    return this.accumulator(endpoint)?.histograms[kind]
  }

  extremes(endpoint: string | undefined, kind: HistogramKind): Extremes | undefined {
    return this.accumulator(endpoint)?.extremes[kind]
  }

  private accumulator(endpoint: string | undefined): Accumulator | undefined {
    return endpoint === undefined ? this.all : this.endpoints.get(endpoint)
  }

  build(options: BuildOptions): Summary {
    const durationS = this.runDurationS(options.endedAt)
    const loadS = this.loadWindowS(durationS, options.endReason)
    // rates (http_reqs' rate) over the load window, as in the summary
    const thresholds = evaluateThresholds(options.thresholds, {
      durationS: loadS,
      counts: (endpoint) => this.counts(endpoint),
      histogram: (endpoint, kind) => this.histogram(endpoint, kind),
      extremes: (endpoint, kind) => this.extremes(endpoint, kind),
    })
    const endMs = this.header.startedAtMs + (this.lastT + 1) * 1000
    return {
      schemaVersion: SCHEMA_VERSION,
      runId: this.header.runId,
      target: this.header.target,
      startedAt: this.header.startedAt,
      endedAt: options.endedAt ?? new Date(endMs).toISOString(),
      durationS,
      loadS,
      drainS: round(Math.max(0, durationS - loadS), 3),
      endReason: options.endReason,
      // a shard knows itself; a merged run lists the shards it was merged from
      ...shardsOf(this.header),
      config: this.header.config,
      profile: this.header.profile,
      endpoints: Object.fromEntries([...this.endpoints].map(([id, acc]) => [id, acc.summary(loadS)])),
      total: this.all.summary(loadS),
      generator: this.generator.summary(),
      thresholds,
      passed: thresholds.every((t) => t.ok),
    }
  }
}

const round = (x: number, decimals: number) => Number(x.toFixed(decimals))

/** The stages' total length (s) of the run's config, when it holds stages. */
function plannedSecondsOf(config: Record<string, unknown>): number | undefined {
  const stages = config.stages
  if (!Array.isArray(stages) || stages.length === 0) return undefined
  let ms = 0
  for (const stage of stages) {
    const d = (stage as { durationMs?: unknown } | null)?.durationMs
    if (typeof d !== 'number' || !(d >= 0)) return undefined
    ms += d
  }
  return ms / 1000
}

function shardsOf(header: SeriesHeader): { shards?: Shard[] } {
  if (header.shards) return { shards: header.shards }
  return header.shard ? { shards: [header.shard] } : {}
}

/** A map as a record with sorted keys (stable output). */
function sortedRecord<K extends string>(map: ReadonlyMap<K, number>): Record<K, number> {
  return Object.fromEntries([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as Record<K, number>
}
