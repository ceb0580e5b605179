import type { Metric, Registry } from 'prom-client'
import type { RecordedValues } from './second-view.js'

/**
 * The Prometheus histogram family of a run: its bucket bounds and a histogram fed with whole HDR
 * histograms, a second at a time (prometheus.ts registers three of them).
 */

/**
 * Latency buckets (s), dense where check-in requests live and at the default SLOs (p95 < 1, 2,
 * 3, 3.5, 6, 6.5, 7.5 s, p99 < 10 s) so that `histogram_quantile` lands close and an SLO line falls
 * on a bucket boundary. Adjacent bounds are at most 2.5x apart (x1.5 from 5 ms up).
 */
export const LATENCY_BUCKETS_S: readonly number[] = [
  0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5,
  2, 2.5, 3, 3.5, 4, 5, 6, 6.5, 7.5, 10, 15, 20, 30,
]
/** Send lag (s): a healthy generator sends within a millisecond; seconds mean it is saturated. */
export const SEND_LAG_BUCKETS_S: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
]

export type Labels = Record<string, string>

/** One label set of a HdrHistogramMetric: per-bucket (not cumulative) counts, the last for +Inf. */
export interface HistogramSeries {
  readonly labels: Labels
  readonly counts: Float64Array
  sumUs: number
  count: number
}

/**
 * A Prometheus histogram fed with whole HDR histograms. prom-client's Histogram takes one
 * observation at a time (`observe(labels, value)`), which would cost one call per request; this
 * keeps the bucket counts itself and renders them in the shape prom-client's Registry formats
 * (`get()` returning `_bucket`/`_sum`/`_count` values), so it sits in the same registry with the
 * same default labels. Adding a second costs O(distinct values + buckets).
 */
export class HdrHistogramMetric {
  readonly name: string
  readonly help: string
  readonly type = 'histogram' as const
  readonly aggregator = 'sum' as const
  private readonly bucketsS: readonly number[]
  /** the upper bounds in µs, to compare with HDR values */
  private readonly boundsUs: Float64Array
  private readonly series = new Map<string, HistogramSeries>()

  constructor(options: { name: string; help: string; buckets: readonly number[]; registry: Registry }) {
    this.name = options.name
    this.help = options.help
    this.bucketsS = options.buckets
    this.boundsUs = Float64Array.from(options.buckets, (s) => Math.round(s * 1e6))
    // The Registry reads metrics through get()/reset() only (prom-client 15, lib/registry.js).
    options.registry.registerMetric(this as unknown as Metric)
  }

  /** The series of a label set, created empty (so rate() sees it from its first scrape). */
  seriesFor(labels: Labels): HistogramSeries {
    const key = JSON.stringify(labels)
    let series = this.series.get(key)
    if (series === undefined) {
      series = { labels, counts: new Float64Array(this.boundsUs.length + 1), sumUs: 0, count: 0 }
      this.series.set(key, series)
    }
    return series
  }

  /** Adds a second's distinct values (ascending) into a series. */
  add(series: HistogramSeries, values: RecordedValues): void {
    const { lowUs, counts } = values
    const bounds = this.boundsUs
    const n = bounds.length
    let b = 0
    for (let i = 0; i < lowUs.length; i++) {
      const v = lowUs[i]!
      while (b < n && v > bounds[b]!) b++
      series.counts[b]! += counts[i]!
    }
    series.sumUs += values.sumUs
    series.count += values.totalCount
  }

  async get() {
    const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = []
    for (const series of this.series.values()) {
      let cumulative = 0
      for (let b = 0; b < this.bucketsS.length; b++) {
        cumulative += series.counts[b]!
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { ...series.labels, le: this.bucketsS[b]! },
          value: cumulative,
        })
      }
      cumulative += series.counts[this.bucketsS.length]!
      values.push({
        metricName: `${this.name}_bucket`,
        labels: { ...series.labels, le: '+Inf' },
        value: cumulative,
      })
      values.push({ metricName: `${this.name}_sum`, labels: series.labels, value: series.sumUs / 1e6 })
      values.push({ metricName: `${this.name}_count`, labels: series.labels, value: series.count })
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values }
  }

  reset(): void {
    this.series.clear()
  }
}
