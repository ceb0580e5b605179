import type { Summary } from '../model/results.js'

/**
 * How the report writes numbers, the same in the terminal, Markdown and HTML: thousands
 * separators, ms with precision that suits their size, rates as req/s, shares as percents.
 */

/** 12020 -> "12,020"; at most `decimals` decimals. */
export function formatNumber(value: number, decimals = 0): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: decimals, minimumFractionDigits: 0 })
}

/** Milliseconds: 2 decimals below 10 ms, 1 below 1 s, none above. */
export function formatMs(ms: number): string {
  const decimals = ms < 10 ? 2 : ms < 1000 ? 1 : 0
  return formatNumber(Number(ms.toFixed(decimals)), decimals)
}

/**
 * A run's length, with its load window and drain when they differ: "5.2 s (load 5 s + drain 0.2 s)".
 * Rates are taken over the load window.
 */
export function runLengthText(summary: { durationS: number; loadS?: number; drainS?: number }): string {
  const total = `${formatNumber(summary.durationS, 1)} s`
  if (summary.loadS === undefined || !summary.drainS) return total
  return `${total} (load ${formatNumber(summary.loadS, 1)} s + drain ${formatNumber(summary.drainS, 1)} s)`
}

/** Requests a second, 2 decimals. */
export function formatRps(rps: number): string {
  return formatNumber(rps, 2)
}

/** A fraction as a percent: 0.0123 -> "1.23%". */
export function formatPercent(fraction: number, decimals = 2): string {
  return `${formatNumber(fraction * 100, decimals)}%`
}

/** A measured threshold value as text: ms for durations, % for failure rates, req/s, counts; "no data" for null. */
export function formatThresholdValue(metric: string, expr: string, value: number | null): string {
  if (value === null) return 'no data'
  if (/^(http_req_duration|send_lag)/.test(metric)) return `${formatMs(value)} ms`
  if (!expr.startsWith('rate')) return formatNumber(value)
  return metric.startsWith('http_reqs') ? `${formatRps(value)} req/s` : formatPercent(value, 3)
}

/** Total errors of an endpoint summary's errors record. */
export function sumValues(record: Readonly<Partial<Record<string, number>>>): number {
  let total = 0
  for (const n of Object.values(record)) total += n ?? 0
  return total
}

/** How a run ended, in words. */
export function endReasonText(reason: Summary['endReason']): string {
  switch (reason) {
    case 'completed':
      return 'as planned'
    case 'interrupted':
      return 'early: interrupted'
    case 'aborted_by_threshold':
      return 'early: aborted by a threshold'
    case 'write_failed':
      return 'early: the results could not be written'
    case 'error':
      return 'early: an error'
    case 'incomplete':
      return 'without an end line (killed?): rebuilt up to the last whole second'
  }
}
