import type { Histogram } from '../model/histogram.js'

/**
 * Percentiles, mean, min and max of an HDR histogram in one pass over its buckets, giving exactly
 * hdr-histogram-js's answers (getValueAtPercentile, mean, minNonZeroValue, maxValue), only much
 * faster: its `mean` walks an iterator of objects (~1 ms for one histogram), which made a summary
 * of 24 histograms cost tens of ms, too much to rebuild once a second during a run. Falls back to
 * the public API if the histogram is not the JS implementation this reads.
 */
export interface HistogramStats {
  readonly count: number
  readonly min: number
  readonly max: number
  readonly mean: number
  /** values at the percentiles asked for, in the order asked */
  readonly percentiles: readonly number[]
}

/** The internals of hdr-histogram-js's JsHistogram this reads (all present in v3). */
interface BucketView {
  readonly countsArrayLength: number
  readonly maxValue: number
  readonly minNonZeroValue: number
  readonly totalCount: number
  getCountAtIndex(index: number): number
  countsArrayIndex(value: number): number
  valueFromIndex(index: number): number
  highestEquivalentValue(value: number): number
  medianEquivalentValue(value: number): number
}

const isBucketView = (h: object): h is BucketView =>
  typeof (h as Partial<BucketView>).getCountAtIndex === 'function' &&
  typeof (h as Partial<BucketView>).countsArrayIndex === 'function' &&
  typeof (h as Partial<BucketView>).valueFromIndex === 'function' &&
  typeof (h as Partial<BucketView>).medianEquivalentValue === 'function' &&
  typeof (h as Partial<BucketView>).highestEquivalentValue === 'function'

/** hdr-histogram-js's rounding of a percentile to a count (see JsHistogram.getValueAtPercentile). */
function countAtPercentile(percentile: number, totalCount: number): number {
  const fp = (Math.min(percentile, 100) / 100) * totalCount
  const ulp = fp === 0 ? 0 : 2 ** (Math.floor(Math.log2(fp)) - 52)
  return Math.max(Math.ceil(fp - ulp), 1)
}

const EMPTY = (n: number): HistogramStats => ({
  count: 0,
  min: 0,
  max: 0,
  mean: 0,
  percentiles: new Array(n).fill(0),
})

/** The exact lowest and highest values recorded (µs), kept beside a histogram whose buckets only bound them. */
export interface Extremes {
  readonly min: number
  readonly max: number
}

/**
 * Stats in the histogram's unit. Percentiles must be over 0 (use `min` for the lowest value).
 * With `exact` (the values recorded, kept beside the histogram), min and max are those; either
 * way a percentile (its bucket's highest equivalent value) and the mean (from the buckets' middles)
 * are clamped into [min, max]: a
 * bucket's edge must not report a p99 above the slowest request.
 */
export function histogramStats(
  histogram: Histogram,
  percentiles: readonly number[],
  exact?: Extremes,
): HistogramStats {
  const stats = bucketStats(histogram, percentiles)
  if (stats.count === 0) return stats
  const min = exact?.min ?? stats.min
  const max = exact?.max ?? stats.max
  const clamp = (v: number) => Math.min(max, Math.max(min, v))
  // the mean too: it is taken from the buckets' middles
  return { ...stats, min, max, mean: clamp(stats.mean), percentiles: stats.percentiles.map(clamp) }
}

function bucketStats(histogram: Histogram, percentiles: readonly number[]): HistogramStats {
  const total = histogram.totalCount
  if (total === 0) return EMPTY(percentiles.length)
  if (!isBucketView(histogram)) return slowStats(histogram, percentiles)
  const h = histogram
  const order = percentiles
    .map((p, i) => ({ i, target: countAtPercentile(p, total) }))
    .sort((a, b) => a.target - b.target)
  const values = new Array<number>(percentiles.length).fill(0)
  const lastIndex = Math.min(h.countsArrayIndex(h.maxValue), h.countsArrayLength - 1)
  let next = 0
  let cumulative = 0
  let sum = 0
  for (let i = 0; i <= lastIndex; i++) {
    const count = h.getCountAtIndex(i)
    if (count === 0) continue
    const value = h.valueFromIndex(i)
    cumulative += count
    sum += h.medianEquivalentValue(value) * count
    while (next < order.length && cumulative >= order[next]!.target) {
      values[order[next]!.i] = h.highestEquivalentValue(value)
      next++
    }
  }
  return { count: total, min: h.minNonZeroValue, max: h.maxValue, mean: sum / total, percentiles: values }
}

function slowStats(h: Histogram, percentiles: readonly number[]): HistogramStats {
  return {
    count: h.totalCount,
    min: h.minNonZeroValue,
    max: h.maxValue,
    mean: h.mean,
    percentiles: percentiles.map((p) => h.getValueAtPercentile(p)),
  }
}

const round3 = (x: number) => Math.round(x * 1000) / 1000

/**
 * The summary's latency stats (ms, 3 decimals) from a µs histogram and, when known, the exact
 * extremes recorded beside it (see histogramStats).
 */
export function latencyStatsMs(histogram: Histogram, exact?: Extremes) {
  const s = histogramStats(histogram, [50, 90, 95, 99], exact)
  const [p50, p90, p95, p99] = s.percentiles.map((us) => round3(us / 1000)) as [
    number,
    number,
    number,
    number,
  ]
  return {
    min: round3(s.min / 1000),
    p50,
    p90,
    p95,
    p99,
    max: round3(s.max / 1000),
    mean: round3(s.mean / 1000),
  }
}
