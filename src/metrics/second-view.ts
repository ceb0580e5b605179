import { inflateSync } from 'node:zlib'
import type { IntervalStats } from '../model/results.js'

/**
 * What the live exporters (Prometheus, DogStatsD) read from one SeriesSecond: the distinct values
 * of its HDR histograms and its completed requests by status. Shared so that several exporters
 * decode a second once.
 */

/**
 * The distinct values of one encoded per-second HDR histogram, for the live exporters: each
 * non-empty HDR bin once, in ascending order, with its count. An exporter then works per distinct
 * value (a few hundred a second), never per request. Decoding and walking a histogram is the
 * expensive part, so it is done once per histogram per second and shared by all exporters (memo
 * keyed by the endpoint's IntervalStats object, which the engine makes fresh every second).
 */
export interface RecordedValues {
  /** lowest value of each non-empty bin (µs): which side of a bucket boundary the bin falls on */
  readonly lowUs: readonly number[]
  /** middle of each bin (µs), HDR's "median equivalent value": what sums and samples use */
  readonly midUs: readonly number[]
  readonly counts: readonly number[]
  readonly totalCount: number
  /** Σ midUs × count */
  readonly sumUs: number
}

export type HistogramField = 'latency' | 'latencyFromSend' | 'sendLag'

const EMPTY: RecordedValues = Object.freeze({ lowUs: [], midUs: [], counts: [], totalCount: 0, sumUs: 0 })

const V2_COMPRESSED_COOKIE_BASE = 0x1c849304
const V2_COOKIE_BASE = 0x1c849303
const TWO_POW_56 = 2 ** 56
const POW2 = Float64Array.from({ length: 64 }, (_, i) => 2 ** i)

/**
 * Walks an encoded histogram (the format of series.ndjson: HDR V2, deflated, base64) without
 * building it: hdr-histogram-js would allocate the whole counts array (~92 KB for our 1 µs..1 h
 * range) and fill it, then we would walk it again. Here the zig-zag LEB128 counts are read straight
 * from the inflated payload (negative words are runs of empty bins) and each non-empty bin's value
 * comes from HDR's index arithmetic. Checked against hdr-histogram-js in recorded-values.test.ts.
 */
export function decodeRecordedValues(encoded: string): RecordedValues {
  if (encoded === '') return EMPTY
  const outer = Buffer.from(encoded, 'base64')
  if ((outer.readInt32BE(0) & ~0xf0) !== V2_COMPRESSED_COOKIE_BASE)
    throw new Error('not a compressed V2 HDR histogram')
  const data = inflateSync(outer.subarray(8, 8 + outer.readInt32BE(4)))
  if ((data.readInt32BE(0) & ~0xf0) !== V2_COOKIE_BASE) throw new Error('not a V2 HDR histogram')
  const payloadLength = data.readInt32BE(4)
  const significantDigits = data.readInt32BE(12)
  const lowestDiscernible = Number(data.readBigInt64BE(16))
  // HDR's layout (JsHistogram's constructor): the first bucket has 2 x halfCount unit slots, each
  // later bucket halfCount slots (its upper half) at twice the previous bucket's unit.
  const unitMagnitude = Math.floor(Math.log2(lowestDiscernible)) | 0
  const halfMagnitude = (Math.max(Math.ceil(Math.log2(2 * 10 ** significantDigits)), 1) - 1) | 0
  const halfCount = 1 << halfMagnitude
  const halfMask = halfCount - 1

  const lowUs: number[] = []
  const midUs: number[] = []
  const counts: number[] = []
  let totalCount = 0
  let sumUs = 0
  let index = 0
  let pos = 40
  const end = 40 + payloadLength
  while (pos < end) {
    // one zig-zag LEB128-64b9B word, read with multiplications (it may exceed 32 bits)
    let byte = data[pos++]!
    let word = byte & 0x7f
    if (byte & 0x80) {
      let scale = 128
      do {
        byte = data[pos++]!
        word += (byte & 0x7f) * scale
        scale *= 128
      } while (byte & 0x80 && scale <= TWO_POW_56)
    }
    if (word % 2 === 1) {
      index += (word + 1) / 2 // a run of empty bins
      continue
    }
    const count = word / 2
    if (count > 0) {
      let bucket = (index >> halfMagnitude) - 1
      let sub = (index & halfMask) + halfCount
      if (bucket < 0) {
        sub -= halfCount
        bucket = 0
      }
      const unit = POW2[bucket + unitMagnitude]!
      const low = sub * unit
      const mid = unit >= 2 ? low + unit / 2 : low
      lowUs.push(low)
      midUs.push(mid)
      counts.push(count)
      totalCount += count
      sumUs += mid * count
    }
    index++
  }
  return { lowUs, midUs, counts, totalCount, sumUs }
}

const memo = new WeakMap<IntervalStats, Partial<Record<HistogramField, RecordedValues>>>()

/** The recorded values of one of an interval's histograms, decoded once whoever asks. */
export function recordedValues(stats: IntervalStats, field: HistogramField): RecordedValues {
  let entry = memo.get(stats)
  if (entry === undefined) {
    entry = {}
    memo.set(stats, entry)
  }
  let values = entry[field]
  if (values === undefined) {
    values = decodeRecordedValues(stats[field])
    entry[field] = values
  }
  return values
}

/** Error kinds that come with an HTTP status (the status is counted in `status`). */
const HTTP_KINDS: ReadonlySet<string> = new Set(['http_4xx', 'http_5xx'])

/**
 * An interval's completed requests by status: the HTTP status when there was an answer, else the
 * error kind of the transport failure (`timeout`, `reset`, `connect_refused`…). Transport failures
 * are the requests without a status; their kinds are read from the error counts (kinds other than
 * http_4xx/http_5xx), and any rest (a kind the engine gave a status too) is left to `other`.
 */
export function requestsByStatus(stats: IntervalStats): Array<[status: string, count: number]> {
  const out: Array<[string, number]> = []
  let answered = 0
  for (const status in stats.status) {
    const count = stats.status[status]!
    if (count > 0) {
      out.push([status, count])
      answered += count
    }
  }
  let failed = stats.requests - answered
  if (failed <= 0) return out
  const errors = stats.errors as Readonly<Record<string, number>>
  for (const kind in errors) {
    if (HTTP_KINDS.has(kind) || failed <= 0) continue
    const count = Math.min(errors[kind]!, failed)
    if (count > 0) {
      out.push([kind, count])
      failed -= count
    }
  }
  if (failed > 0) {
    const other = out.find(([status]) => status === 'other')
    if (other) other[1] += failed
    else out.push(['other', failed])
  }
  return out
}
