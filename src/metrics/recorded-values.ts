import * as hdr from 'hdr-histogram-js'
import type { IntervalStats } from '../model/results.js'

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

/** Walks an encoded histogram (the format of series.ndjson: compressed base64, 32-bit counts). */
export function decodeRecordedValues(encoded: string): RecordedValues {
  if (encoded === '') return EMPTY
  const histogram = hdr.decodeFromCompressedBase64(encoded, 32, false) as unknown
  if (!(histogram instanceof hdr.JsHistogram)) throw new Error('expected a JavaScript HDR histogram')
  const lowUs: number[] = []
  const midUs: number[] = []
  const counts: number[] = []
  let totalCount = 0
  let sumUs = 0
  const last = histogram.countsArrayIndex(histogram.maxValue)
  for (let i = 0; i <= last; i++) {
    const count = histogram.getCountAtIndex(i)
    if (count === 0) continue
    const low = histogram.valueFromIndex(i)
    const mid = histogram.medianEquivalentValue(low)
    lowUs.push(low)
    midUs.push(mid)
    counts.push(count)
    totalCount += count
    sumUs += mid * count
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
