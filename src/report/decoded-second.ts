import { decodeHistogram, type Histogram } from '../model/histogram.js'
import type { IntervalStats, SeriesSecond } from '../model/results.js'
import type { Extremes } from './histogram-stats.js'
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

/** Extremes per histogram kind, as a run accumulates them. */
export type ExtremesByKind = Partial<Record<HistogramKind, Extremes>>

const FIELD = { latency: 'latency', fromSend: 'latencyFromSend', sendLag: 'sendLag' } as const

/**
 * The exact extremes of one of an interval's histograms: those the series line carries, else
 * the histogram's own (exact when recorded in this process, its buckets' edges when decoded).
 */
export function extremesOf(interval: DecodedInterval, kind: HistogramKind): Extremes | undefined {
  const pair = interval.stats.minMaxUs?.[FIELD[kind]]
  if (pair) return { min: pair[0], max: pair[1] }
  const h = interval.histograms[kind]
  return h.totalCount > 0 ? { min: h.minNonZeroValue, max: h.maxValue } : undefined
}

/** Widens `target` by each kind's extremes of `interval`. */
export function addExtremes(target: ExtremesByKind, interval: DecodedInterval): void {
  for (const kind of ['latency', 'fromSend', 'sendLag'] as const) {
    const e = extremesOf(interval, kind)
    if (!e) continue
    const t = target[kind]
    target[kind] = t ? { min: Math.min(t.min, e.min), max: Math.max(t.max, e.max) } : e
  }
}
