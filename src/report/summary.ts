import type { ThresholdSpec } from '../config/thresholds.js'
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
export const LAG_LIMIT_MS = 10
/** Generator health: a second at or over this CPU (% of one core) is suspect. */
export const CPU_LIMIT_PCT = 95
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

  summary(durationS: number): EndpointSummary {
    const rps = (n: number) => (durationS > 0 ? round(n / durationS, 3) : 0)
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
  /** per-second lag p99 values, µs, in a histogram so that memory stays flat */
  private readonly lag = newHistogram()

  add(g: SeriesSecond['generator']): void {
    this.seconds++
    this.cpuSum += g.cpuPct
    this.maxRssMb = Math.max(this.maxRssMb, g.rssMb)
    this.worstLagMs = Math.max(this.worstLagMs, g.eventLoopLagMsP99)
    recordUs(this.lag, g.eventLoopLagMsP99 * 1000)
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
        this.all.add(interval)
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
    const thresholds = evaluateThresholds(options.thresholds, this)
    const endMs = this.header.startedAtMs + (this.lastT + 1) * 1000
    return {
      schemaVersion: SCHEMA_VERSION,
      runId: this.header.runId,
      target: this.header.target,
      startedAt: this.header.startedAt,
      endedAt: options.endedAt ?? new Date(endMs).toISOString(),
      durationS,
      endReason: options.endReason,
      // a shard knows itself; a merged run lists the shards it was merged from
      ...shardsOf(this.header),
      config: this.header.config,
      profile: this.header.profile,
      endpoints: Object.fromEntries([...this.endpoints].map(([id, acc]) => [id, acc.summary(durationS)])),
      total: this.all.summary(durationS),
      generator: this.generator.summary(),
      thresholds,
      passed: thresholds.every((t) => t.ok),
    }
  }
}

const round = (x: number, decimals: number) => Number(x.toFixed(decimals))

function shardsOf(header: SeriesHeader): { shards?: Shard[] } {
  if (header.shards) return { shards: header.shards }
  return header.shard ? { shards: [header.shard] } : {}
}

/** A map as a record with sorted keys (stable output). */
function sortedRecord<K extends string>(map: ReadonlyMap<K, number>): Record<K, number> {
  return Object.fromEntries([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as Record<K, number>
}
