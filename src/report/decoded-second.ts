import { decodeHistogram, type Histogram } from '../model/histogram.js'
import type { IntervalStats, SeriesSecond } from '../model/results.js'
import type { HistogramKind } from './metric-source.js'

/** One endpoint's second with its three histograms decoded (µs). */
export interface DecodedInterval {
  readonly stats: IntervalStats
  readonly histograms: Readonly<Record<HistogramKind, Histogram>>
}

/** A second line with its histograms decoded once, for every consumer (summary, chart). */
export interface DecodedSecond {
  readonly second: SeriesSecond
  readonly endpoints: ReadonlyMap<string, DecodedInterval>
}

export function decodeSecond(second: SeriesSecond): DecodedSecond {
  const endpoints = new Map<string, DecodedInterval>()
  for (const [id, stats] of Object.entries(second.endpoints)) {
    endpoints.set(id, {
      stats,
      histograms: {
        latency: decodeHistogram(stats.latency),
        fromSend: decodeHistogram(stats.latencyFromSend),
        sendLag: decodeHistogram(stats.sendLag),
      },
    })
  }
  return { second, endpoints }
}

/** Adds each kind's histogram into the target's; skips empty ones (an add walks every bucket). */
export function addHistograms(
  target: Record<HistogramKind, Histogram>,
  source: Readonly<Record<HistogramKind, Histogram>>,
): void {
  for (const kind of ['latency', 'fromSend', 'sendLag'] as const) {
    if (source[kind].totalCount > 0) target[kind].add(source[kind])
  }
}
