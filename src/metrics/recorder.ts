import { ERROR_KINDS, type ErrorKind } from '../model/error-kinds.js'
import { encodeHistogram, type Histogram, newHistogram, recordUs } from '../model/histogram.js'
import type { GeneratorHealth, IntervalStats, SeriesSecond } from '../model/results.js'

/**
 * The engine's measurement sink: per request a few increments into fixed arrays indexed by
 * endpoint number and one value into each of the endpoint's three HDR histograms (µs): latency
 * from the intended time, latency from the actual send, and send lag. Once a second, fold() turns
 * the interval into one SeriesSecond (src/model/results.ts) and resets: memory stays flat whatever
 * the run's length.
 *
 * Accounting (per endpoint, per second):
 *   asked     = sent + dropped in the second (a dropped flow asks every one of its steps)
 *   requests  = completed in the second: ok + every error (an answer or a failure)
 *   latency   histograms hold every answer (expected status or not), not transport failures
 */
const STATUS_SLOTS = 600
const KINDS = ERROR_KINDS.length

/** One endpoint's three histograms of a second (µs). */
export interface SecondHistograms {
  readonly latency: Histogram
  readonly fromSend: Histogram
  readonly sendLag: Histogram
}

/**
 * A folded second: the series line, and its histograms as objects, so consumers in this process
 * need not decode the line. The histograms are lent until the next fold, which resets them and
 * records into them again (double buffering: a fresh 90 KB histogram per endpoint and kind every
 * second made the garbage collector stall the clock loop for up to 20 ms, measured at 5000 req/s).
 */
export interface FoldedSecond {
  readonly second: SeriesSecond
  readonly histograms: ReadonlyMap<string, SecondHistograms>
  /**
   * With `deferEncoding`: one piece per endpoint that writes its encoded histograms into the line
   * (about 0.2 ms each); the line is complete once they all ran. Empty otherwise.
   */
  readonly encoding: readonly (() => void)[]
}

/** Handed out for an endpoint without values this second; nobody records into it. */
const EMPTY_HISTOGRAM = newHistogram()

export class Recorder {
  readonly endpoints: readonly string[]
  private readonly asked: Uint32Array
  private readonly requests: Uint32Array
  private readonly ok: Uint32Array
  private readonly droppedCount: Uint32Array
  /** [endpoint * KINDS + kind] */
  private readonly errors: Uint32Array
  /** [endpoint * STATUS_SLOTS + status] */
  private readonly status: Uint32Array
  private readonly latency: Histogram[]
  private readonly fromSend: Histogram[]
  private readonly sendLag: Histogram[]
  /** the histograms lent with the last fold, recorded into again from the next one */
  private readonly lentLatency: Histogram[]
  private readonly lentFromSend: Histogram[]
  private readonly lentSendLag: Histogram[]
  /** requests of this second that waited for a connection of the shared pool, and their wait (µs) */
  private waitedForConnection = 0
  private readonly connectionWaits = newHistogram()
  /** totals since the start (for the live view), never reset */
  readonly totals: {
    asked: number
    requests: number
    ok: number
    dropped: number
    errors: number
  } = { asked: 0, requests: 0, ok: 0, dropped: 0, errors: 0 }

  constructor(endpoints: readonly string[]) {
    const n = endpoints.length
    this.endpoints = endpoints
    this.asked = new Uint32Array(n)
    this.requests = new Uint32Array(n)
    this.ok = new Uint32Array(n)
    this.droppedCount = new Uint32Array(n)
    this.errors = new Uint32Array(n * KINDS)
    this.status = new Uint32Array(n * STATUS_SLOTS)
    this.latency = endpoints.map(() => newHistogram())
    this.fromSend = endpoints.map(() => newHistogram())
    this.sendLag = endpoints.map(() => newHistogram())
    this.lentLatency = endpoints.map(() => newHistogram())
    this.lentFromSend = endpoints.map(() => newHistogram())
    this.lentSendLag = endpoints.map(() => newHistogram())
    // Writes every histogram's counts once now, before the run: a new typed array's pages are
    // mapped on first write, and the first reset() of each (in the second and third folds) faulted
    // in 1.6 MB for the check-in profile's 6 endpoints: a 2–6 ms fold in the clock loop.
    for (const set of [
      this.latency,
      this.fromSend,
      this.sendLag,
      this.lentLatency,
      this.lentFromSend,
      this.lentSendLag,
    ])
      for (const histogram of set) histogram.reset()
  }

  // ---- the RequestSink (hot path) ------------------------------------------------------------

  sent(endpoint: number, intendedMs: number, sendMs: number): void {
    this.asked[endpoint]!++
    recordUs(this.sendLag[endpoint]!, (sendMs - intendedMs) * 1000)
  }

  connectionWait(_endpoint: number, waitMs: number): void {
    this.waitedForConnection++
    recordUs(this.connectionWaits, waitMs * 1000)
  }

  dropped(endpoint: number): void {
    this.asked[endpoint]!++
    this.droppedCount[endpoint]!++
  }

  response(
    endpoint: number,
    status: number,
    errorKind: number,
    intendedMs: number,
    sendMs: number,
    endMs: number,
  ): void {
    this.requests[endpoint]!++
    if (status > 0 && status < STATUS_SLOTS) this.status[endpoint * STATUS_SLOTS + status]!++
    if (errorKind < 0) this.ok[endpoint]!++
    else this.errors[endpoint * KINDS + errorKind]!++
    recordUs(this.latency[endpoint]!, (endMs - intendedMs) * 1000)
    recordUs(this.fromSend[endpoint]!, (endMs - sendMs) * 1000)
  }

  failed(endpoint: number, errorKind: number): void {
    this.requests[endpoint]!++
    this.errors[endpoint * KINDS + errorKind]!++
  }

  // ---- once a second -------------------------------------------------------------------------

  /** The interval since the last fold as one series line; resets the interval. */
  fold(t: number, share: number, generator: GeneratorHealth): SeriesSecond {
    return this.foldSecond(t, share, generator).second
  }

  /**
   * As fold(), and lends the second's histograms (until the next fold). `deferEncoding` leaves
   * their encoding (the bulk of a fold's cost) to the pieces in `encoding`, for the caller to run
   * out of the clock loop's tick.
   */
  foldSecond(t: number, share: number, generator: GeneratorHealth, deferEncoding = false): FoldedSecond {
    const endpoints: Record<string, IntervalStats> = {}
    const histograms = new Map<string, SecondHistograms>()
    const encoding: (() => void)[] = []
    // the generator's lateness and the pool's wait, told apart (the live view and the summary)
    let sendLagUsP99 = 0
    for (const histogram of this.sendLag)
      if (histogram.totalCount > 0) sendLagUsP99 = Math.max(sendLagUsP99, histogram.getValueAtPercentile(99))
    const health: GeneratorHealth = { ...generator, sendLagMsP99: Math.round(sendLagUsP99) / 1000 }
    if (this.waitedForConnection > 0) {
      health.waitedForConnection = this.waitedForConnection
      health.connectionWaitMsP99 = Math.round(this.connectionWaits.getValueAtPercentile(99)) / 1000
      this.waitedForConnection = 0
      this.connectionWaits.reset()
    }
    for (let e = 0; e < this.endpoints.length; e++) {
      const id = this.endpoints[e]!
      const stats = this.foldEndpoint(e)
      const lent: SecondHistograms = {
        latency: this.lend(this.latency, this.lentLatency, e),
        fromSend: this.lend(this.fromSend, this.lentFromSend, e),
        sendLag: this.lend(this.sendLag, this.lentSendLag, e),
      }
      const minMaxUs = minMaxOf(lent)
      if (minMaxUs) stats.minMaxUs = minMaxUs
      const encode = () => {
        stats.latency = encodeHistogram(lent.latency)
        stats.latencyFromSend = encodeHistogram(lent.fromSend)
        stats.sendLag = encodeHistogram(lent.sendLag)
      }
      if (deferEncoding) encoding.push(encode)
      else encode()
      endpoints[id] = stats
      histograms.set(id, lent)
    }
    return {
      second: { type: 'second', t, share: Math.round(share * 1e6) / 1e6, endpoints, generator: health },
      histograms,
      encoding,
    }
  }

  /** The endpoint's histogram of the second just folded, lent; the one lent last time, reset, takes its place. */
  private lend(recording: Histogram[], lent: Histogram[], e: number): Histogram {
    const histogram = recording[e]!
    if (histogram.totalCount === 0) return EMPTY_HISTOGRAM
    const returned = lent[e]!
    if (returned.totalCount > 0) returned.reset()
    recording[e] = returned
    lent[e] = histogram
    return histogram
  }

  private foldEndpoint(e: number): IntervalStats {
    const errors: Partial<Record<ErrorKind, number>> = {}
    let errorTotal = 0
    for (let k = 0; k < KINDS; k++) {
      const count = this.errors[e * KINDS + k]!
      if (count > 0) {
        errors[ERROR_KINDS[k]!] = count
        errorTotal += count
        this.errors[e * KINDS + k] = 0
      }
    }
    const status: Record<string, number> = {}
    const base = e * STATUS_SLOTS
    for (let s = 100; s < STATUS_SLOTS; s++) {
      const count = this.status[base + s]!
      if (count > 0) {
        status[String(s)] = count
        this.status[base + s] = 0
      }
    }
    const stats: IntervalStats = {
      asked: this.asked[e]!,
      requests: this.requests[e]!,
      ok: this.ok[e]!,
      dropped: this.droppedCount[e]!,
      errors,
      status,
      // encoded once lent (foldSecond)
      latency: '',
      latencyFromSend: '',
      sendLag: '',
    }
    this.totals.asked += stats.asked
    this.totals.requests += stats.requests
    this.totals.ok += stats.ok
    this.totals.dropped += stats.dropped
    this.totals.errors += errorTotal
    this.asked[e] = 0
    this.requests[e] = 0
    this.ok[e] = 0
    this.droppedCount[e] = 0
    return stats
  }
}

/** The exact extremes of a second's histograms, before encoding loses them to their buckets. */
function minMaxOf(h: SecondHistograms): IntervalStats['minMaxUs'] {
  const of = (x: Histogram): [number, number] | undefined =>
    x.totalCount > 0 ? [x.minNonZeroValue, x.maxValue] : undefined
  const latency = of(h.latency)
  const latencyFromSend = of(h.fromSend)
  const sendLag = of(h.sendLag)
  if (!latency && !latencyFromSend && !sendLag) return undefined
  return {
    ...(latency && { latency }),
    ...(latencyFromSend && { latencyFromSend }),
    ...(sendLag && { sendLag }),
  }
}

/** folds that warmUpFolds runs: after 10, an endpoint's encoding piece takes under 0.5 ms (3 left 2 ms ones) */
export const WARM_UP_FOLDS = 10

/**
 * Compiles the per-second fold before a run's time zero: `seconds` folds through `recorder` (a
 * throwaway one) of a few hundred made-up answers per endpoint, each fold's encoding run at once.
 * Cold, a run's first seconds spent 2–7 ms per encoding piece (V8 still compiling the histogram
 * encoder), long enough to hold back the arrivals due meanwhile (measured at 5000 req/s).
 * Yields each fold, for the caller to push through the rest of its own per-second pipeline.
 */
export function* warmUpFolds(recorder: Recorder, seconds = WARM_UP_FOLDS): Generator<FoldedSecond> {
  const health = { eventLoopLagMsP99: 0, cpuPct: 0, rssMb: 0, inFlight: 0 }
  const n = recorder.endpoints.length
  for (let t = 0; t < seconds; t++) {
    for (let i = 0; i < 300 * n; i++) {
      const endpoint = i % n
      recorder.sent(endpoint, i, i + 0.1)
      recorder.response(endpoint, 200, -1, i, i + 0.1, i + 1 + (i % 97) / 10)
    }
    const folded = recorder.foldSecond(t, 1, health, true)
    for (const piece of folded.encoding) piece()
    yield folded
  }
}
