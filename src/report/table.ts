import type { EndpointSummary, Summary } from '../model/results.js'
import {
  endReasonText,
  formatMs,
  formatNumber,
  formatRps,
  formatThresholdValue,
  runLengthText,
  sumValues,
} from './format.js'
import { formatTable, paint } from './text-table.js'

/**
 * The end-of-run table for the terminal: one row per endpoint and the total, then the thresholds
 * with pass/fail (failures in red, with the measured value), then the generator's trust warning.
 * Printing is left to cli/.
 */
export interface SummaryTableOptions {
  readonly color: boolean
}

export const SUMMARY_COLUMNS = [
  'endpoint',
  'requests',
  'ok',
  'errors',
  'dropped',
  'asked/s',
  'achieved/s',
  'p50 ms',
  'p90 ms',
  'p95 ms',
  'p99 ms',
  'max ms',
] as const

export function formatSummaryTable(summary: Summary, options: SummaryTableOptions): string {
  const c = paint(options.color)
  const row = (id: string, e: EndpointSummary) => {
    const errors = sumValues(e.errors)
    return [
      id,
      formatNumber(e.requests),
      formatNumber(e.ok),
      errors > 0 ? c.red(formatNumber(errors)) : '0',
      e.dropped > 0 ? c.red(formatNumber(e.dropped)) : '0',
      formatRps(e.expectedRps),
      formatRps(e.achievedRps),
      formatMs(e.latencyMs.p50),
      formatMs(e.latencyMs.p90),
      formatMs(e.latencyMs.p95),
      formatMs(e.latencyMs.p99),
      formatMs(e.latencyMs.max),
    ]
  }
  const rows = [
    ...Object.entries(summary.endpoints).map(([id, e]) => row(id, e)),
    row(c.bold('total'), summary.total),
  ]
  const parts = [
    `Run ${summary.runId} against ${summary.target}: ${runLengthText(summary)}, ended ${endReasonText(summary.endReason)}`,
    '',
    formatTable(SUMMARY_COLUMNS, rows),
    'Latency is measured from each request’s intended send time.',
  ]
  const errorLines = Object.entries(summary.endpoints)
    .filter(([, e]) => sumValues(e.errors) > 0)
    .map(
      ([id, e]) =>
        `  ${id}: ${Object.entries(e.errors)
          .map(([kind, n]) => `${kind} ${formatNumber(n ?? 0)}`)
          .join(', ')}`,
    )
  if (errorLines.length > 0) parts.push('', c.red('Errors by kind:'), ...errorLines)
  if (summary.thresholds.length > 0) {
    parts.push('', 'Thresholds:')
    for (const t of summary.thresholds) {
      const line = `${t.metric}: ${t.expr} (measured ${formatThresholdValue(t.metric, t.expr, t.value)})`
      parts.push(t.ok ? `  ${c.green('✓')} ${line}` : c.red(`  ✗ ${line}`))
    }
  }
  for (const warning of summary.generator.warnings)
    parts.push('', c.yellow(`Generator not trustworthy: ${warning}`))
  const failed = summary.thresholds.filter((t) => !t.ok).length
  parts.push(
    '',
    summary.passed
      ? c.green(c.bold(`PASSED: ${summary.thresholds.length} of ${summary.thresholds.length} thresholds met`))
      : c.red(c.bold(`FAILED: ${failed} of ${summary.thresholds.length} thresholds not met`)),
  )
  return `${parts.join('\n')}\n`
}

export { endReasonText }
