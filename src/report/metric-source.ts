import { decodeHistogram, type Histogram } from '../model/histogram.js'
import type { EndpointSummary, Summary } from '../model/results.js'
import type { Extremes } from './histogram-stats.js'

/**
 * What thresholds are judged against: counts and µs histograms per endpoint and over all
 * endpoints. The SummaryBuilder is one (live, during a run); a summary.json read back is another.
 */
export type HistogramKind = 'latency' | 'fromSend' | 'sendLag'

export interface Counts {
  /** requests the schedule intended to send (sent + dropped) */
  readonly asked: number
  /** completed requests (ok + errors) */
  readonly requests: number
  readonly ok: number
  readonly dropped: number
}

export interface MetricSource {
  /** seconds rates are taken over: the load window */
  readonly durationS: number
  /** counts of one endpoint, or of all (endpoint undefined); undefined when the run has no such endpoint */
  counts(endpoint: string | undefined): Counts | undefined
  /** a µs histogram of one endpoint, or of all; undefined when the run has no such endpoint */
  histogram(endpoint: string | undefined, kind: HistogramKind): Histogram | undefined
  /** the exact extremes (µs) of that histogram's values, when known: its buckets only bound them */
  extremes?(endpoint: string | undefined, kind: HistogramKind): Extremes | undefined
}

const STATS_FIELD = { latency: 'latencyMs', fromSend: 'latencyFromSendMs', sendLag: 'sendLagMs' } as const

const HISTOGRAM_FIELD = {
  latency: 'histogram',
  fromSend: 'histogramFromSend',
  sendLag: 'histogramSendLag',
} as const

/**
 * A summary.json as a MetricSource; histograms are decoded on first use. The asked count is not in
 * summary.json: it is recovered as expectedRps x loadS (exact up to the rounding of expectedRps).
 */
export function summarySource(summary: Summary): MetricSource {
  const cache = new Map<string, Histogram>()
  const entry = (endpoint: string | undefined): EndpointSummary | undefined =>
    endpoint === undefined
      ? summary.total
      : Object.hasOwn(summary.endpoints, endpoint)
        ? summary.endpoints[endpoint]
        : undefined
  return {
    durationS: summary.loadS ?? summary.durationS,
    counts(endpoint) {
      const e = entry(endpoint)
      return (
        e && {
          asked: Math.round(e.expectedRps * (summary.loadS ?? summary.durationS)),
          requests: e.requests,
          ok: e.ok,
          dropped: e.dropped,
        }
      )
    },
    histogram(endpoint, kind) {
      const e = entry(endpoint)
      if (!e) return undefined
      const key = `${endpoint ?? ''}\u0000${kind}`
      let h = cache.get(key)
      if (!h) {
        h = decodeHistogram(e[HISTOGRAM_FIELD[kind]])
        cache.set(key, h)
      }
      return h
    },
    extremes(endpoint, kind) {
      const e = entry(endpoint)
      if (!e || e.requests + e.dropped === 0) return undefined
      const stats = e[STATS_FIELD[kind]]
      // the summary's ms with 3 decimals are whole µs
      return stats.max > 0
        ? { min: Math.round(stats.min * 1000), max: Math.round(stats.max * 1000) }
        : undefined
    },
  }
}
