import type { EndpointSummary, Summary } from '../model/results.js'
import { type Comparison, VERDICT_TEXT } from './compare.js'
import {
  formatMs,
  formatNumber,
  formatPercent,
  formatRps,
  formatThresholdValue,
  runLengthText,
  sumValues,
} from './format.js'
import { endReasonText } from './table.js'

/**
 * A Markdown summary fit for a CI job's summary page (GitHub's $GITHUB_STEP_SUMMARY, GitLab's
 * reports): the verdict first, the per-endpoint table, the thresholds, then caveats.
 */
export function renderMarkdown(summary: Summary, comparison?: Comparison): string {
  const failed = summary.thresholds.filter((t) => !t.ok)
  const verdict = summary.passed
    ? `✅ PASSED: ${summary.thresholds.length} of ${summary.thresholds.length} thresholds met`
    : `❌ FAILED: ${failed.length} of ${summary.thresholds.length} thresholds not met`
  const t = summary.total
  const lines = [
    `## checkin-load: ${verdict}`,
    '',
    `Run \`${cell(summary.runId)}\` against \`${cell(summary.target)}\`: ${runLengthText(summary)}, ended ${endReasonText(summary.endReason)}. ` +
      `${formatNumber(t.requests)} requests, ${formatRps(t.achievedRps)} req/s achieved of ${formatRps(t.expectedRps)} asked, ` +
      `p95 ${formatMs(t.latencyMs.p95)} ms, errors ${formatPercent(t.requests > 0 ? sumValues(t.errors) / t.requests : 0)}, dropped ${formatNumber(t.dropped)}.`,
    '',
    '| endpoint | requests | ok | errors | dropped | asked/s | achieved/s | p50 ms | p90 ms | p95 ms | p99 ms | max ms |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...Object.entries(summary.endpoints).map(([id, e]) => row(`\`${cell(id)}\``, e)),
    row('**total**', summary.total),
    '',
    'Latency is measured from each request’s intended send time (no coordinated omission).',
  ]
  if (summary.thresholds.length > 0) {
    lines.push('', '### Thresholds', '', '| | metric | condition | measured |', '|---|---|---|--:|')
    for (const r of summary.thresholds) {
      lines.push(
        `| ${r.ok ? '✅' : '❌'} | \`${cell(r.metric)}\` | \`${cell(r.expr)}\` | ${formatThresholdValue(r.metric, r.expr, r.value)} |`,
      )
    }
  }
  if (summary.generator.connectionNote !== undefined)
    lines.push('', `> Connections: ${summary.generator.connectionNote}`)
  for (const warning of summary.generator.warnings)
    lines.push('', `> ⚠️ Generator not trustworthy: ${warning}`)
  if (comparison) {
    lines.push(
      '',
      `### Compared with \`${cell(comparison.base.runId)}\`: ${VERDICT_TEXT[comparison.verdict]}`,
      '',
      ...Object.entries(comparison.endpoints).map(
        ([id, e]) =>
          `- \`${cell(id)}\`: ${VERDICT_TEXT[e.verdict]}${e.reasons.length > 0 ? ` (${e.reasons.join('; ')})` : ''}`,
      ),
      ...comparison.notes.map((n) => `- Note: ${n}`),
    )
  }
  return `${lines.join('\n')}\n`
}

function row(name: string, e: EndpointSummary): string {
  const errors = sumValues(e.errors)
  const l = e.latencyMs
  return `| ${name} | ${[
    formatNumber(e.requests),
    formatNumber(e.ok),
    errors > 0 ? `**${formatNumber(errors)}**` : '0',
    e.dropped > 0 ? `**${formatNumber(e.dropped)}**` : '0',
    formatRps(e.expectedRps),
    formatRps(e.achievedRps),
    formatMs(l.p50),
    formatMs(l.p90),
    formatMs(l.p95),
    formatMs(l.p99),
    formatMs(l.max),
  ].join(' | ')} |`
}

/** Text safe inside a table cell and a code span. */
const cell = (text: string) => text.replace(/[|`\n]/g, ' ')
