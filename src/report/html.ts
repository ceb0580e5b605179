import type { EndpointSummary, Summary } from '../model/results.js'
import type { ChartData } from './chart-data.js'
import {
  type ComparedMetric,
  type Comparison,
  formatChange,
  formatMetric,
  METRIC_LABELS,
  METRICS,
  VERDICT_TEXT,
} from './compare.js'
import {
  formatMs,
  formatNumber,
  formatPercent,
  formatRps,
  formatThresholdValue,
  runLengthText,
  sumValues,
} from './format.js'
import { esc, REPORT_CSS, renderChartPage } from './html-assets.js'

export { esc }

import { type ClientData, drawCharts } from './html-client.js'
import { endReasonText } from './table.js'

/**
 * The HTML report: one self-contained file that opens offline (uPlot and the data inlined, no
 * request to anywhere), readable on a laptop and printable. Tables are rendered here, so they
 * read without script; the charts are drawn in the page from a compact per-second dataset.
 */
export interface ReportOptions {
  /** this run compared with a baseline: adds a section */
  readonly comparison?: Comparison
}

export const ENDPOINT_COLORS = [
  '#1f6feb',
  '#cf222e',
  '#2da44e',
  '#bf8700',
  '#8250df',
  '#e16f24',
  '#1b7c83',
  '#bf3989',
]

export function renderReport(summary: Summary, chart: ChartData, options: ReportOptions = {}): string {
  const endpoints = Object.keys(summary.endpoints)
  const data: ClientData = {
    chart,
    endpoints,
    colors: endpoints.map((_, i) => ENDPOINT_COLORS[i % ENDPOINT_COLORS.length]!),
  }
  return renderChartPage({
    title: `checkin-load report ${summary.runId}`,
    css: REPORT_CSS,
    main: `${headerSection(summary)}
${warningsSection(summary)}
${thresholdsSection(summary)}
${controlsSection(summary)}
${options.comparison ? renderComparisonSection(options.comparison) : ''}
${chartsSection(summary, chart)}
${endpointsSection(summary)}
${configSection(summary)}
<footer>Made by checkin-load from <code>series.ndjson</code> (summary schema version ${summary.schemaVersion}). Latency is measured from each request’s intended send time, so a slow server cannot hide its queueing (no coordinated omission).</footer>`,
    dataId: 'report-data',
    data,
    draw: drawCharts,
  })
}

function headerSection(s: Summary): string {
  const t = s.total
  const errors = sumValues(t.errors)
  const errorRate = t.requests > 0 ? errors / t.requests : 0
  const card = (label: string, value: string, bad = false, field?: string) =>
    `<div class="card${bad ? ' bad' : ''}"${field ? ` data-field="${field}"` : ''}><div class="label">${esc(label)}</div><div class="value">${esc(value)}</div></div>`
  const failed = s.thresholds.filter((r) => !r.ok).length
  const badge = s.passed
    ? `<span class="badge pass" id="verdict">PASSED</span>`
    : `<span class="badge fail" id="verdict">FAILED: ${failed} of ${s.thresholds.length} thresholds</span>`
  const profile = typeof s.config.profile === 'string' ? s.config.profile : 'custom'
  const scale = typeof s.config.scale === 'number' ? ` at ${s.config.scale}x` : ''
  return `<header>
<h1>checkin-load report ${badge}</h1>
<p class="run-line">Run <code>${esc(s.runId)}</code> against <code>${esc(s.target)}</code>, profile <code>${esc(profile)}</code>${esc(scale)}</p>
<p class="run-line muted">${esc(s.startedAt)} → ${esc(s.endedAt)} · ${esc(runLengthText(s))} · ended ${esc(endReasonText(s.endReason))}</p>
<div class="cards">
${card('requests', formatNumber(t.requests), false, 'requests')}
${card('achieved req/s', formatRps(t.achievedRps), t.achievedRps < t.expectedRps * 0.95, 'achievedRps')}
${card('asked req/s', formatRps(t.expectedRps), false, 'expectedRps')}
${card('p95 latency', `${formatMs(t.latencyMs.p95)} ms`)}
${card('p99 latency', `${formatMs(t.latencyMs.p99)} ms`)}
${card('error rate', formatPercent(errorRate), errors > 0)}
${card('dropped', formatNumber(t.dropped), t.dropped > 0)}
</div>
</header>`
}

function warningsSection(s: Summary): string {
  const items = s.generator.warnings.map(
    (w) => `<div class="warning">Generator not trustworthy: ${esc(w)}</div>`,
  )
  if (s.generator.connectionNote !== undefined)
    items.push(`<div class="warning">Connections: ${esc(s.generator.connectionNote)}</div>`)
  if (s.endReason !== 'completed')
    items.unshift(`<div class="warning bad">The run ended ${esc(endReasonText(s.endReason))}.</div>`)
  return items.join('\n')
}

function thresholdsSection(s: Summary): string {
  if (s.thresholds.length === 0) return '<h2>Thresholds</h2><p class="muted">No thresholds were set.</p>'
  const rows = s.thresholds.map(
    (t) => `<tr class="${t.ok ? 'pass' : 'fail'}">
<td class="text ${t.ok ? 'good' : 'bad'}">${t.ok ? '✓ pass' : '✗ FAIL'}</td><td class="text"><code>${esc(t.metric)}</code></td><td class="text"><code>${esc(t.expr)}</code></td><td data-value="${t.value ?? ''}">${esc(formatThresholdValue(t.metric, t.expr, t.value))}</td><td class="text muted">${t.abortOnFail ? 'aborts the run' : ''}</td></tr>`,
  )
  return `<h2>Thresholds</h2>
<div class="scroll"><table class="data" id="thresholds">
<thead><tr><th class="text">result</th><th class="text">metric</th><th class="text">condition</th><th>measured</th><th class="text"></th></tr></thead>
<tbody>${rows.join('\n')}</tbody>
</table></div>`
}

/** The user's changes to the load while it ran (run --web), also marked on the charts. */
function controlsSection(s: Summary): string {
  if (!s.controls || s.controls.length === 0) return ''
  const clock = (ms: number) =>
    `${Math.floor(ms / 60_000)}:${(Math.floor(ms / 1000) % 60).toString().padStart(2, '0')}.${Math.floor((ms % 1000) / 100)}`
  const rows = s.controls.map(
    (c) =>
      `<tr data-action="${esc(c.action)}"><td class="text">${esc(clock(c.atMs))}</td><td class="text">${esc(c.who)}</td><td class="text">${esc(c.action)}</td><td>${esc(formatNumber(c.from, 3))}</td><td>${esc(formatNumber(c.to, 3))}</td></tr>`,
  )
  return `<h2>Load changes</h2>
<p class="muted">Changes made while the run went (live page or <code>POST /api/control</code>): the user scale multiplies the stages' share from that moment on.</p>
<div class="scroll"><table class="data" id="controls">
<thead><tr><th class="text">at (m:ss)</th><th class="text">who</th><th class="text">action</th><th>scale before</th><th>scale after</th></tr></thead>
<tbody>${rows.join('\n')}</tbody>
</table></div>`
}

function chartsSection(s: Summary, chart: ChartData): string {
  if (chart.t.length === 0)
    return '<h2>Over time</h2><p class="muted">The run recorded no whole second: nothing to chart.</p>'
  const options = ['total', ...Object.keys(s.endpoints)]
    .map((id) => `<option value="${esc(id)}">${id === 'total' ? 'all endpoints' : esc(id)}</option>`)
    .join('')
  const box = (id: string) => `<div class="chart" id="${id}"></div>`
  return `<h2>Over time</h2>
<div class="controls">
<label>Endpoint <select id="endpoint-select">${options}</select></label>
<label><input type="checkbox" id="show-from-send"> show latency from the actual send (dashed)</label>
<span class="muted">Click a legend entry to hide or show a line.</span>
</div>
<div class="charts">
${['chart-throughput', 'chart-latency', 'chart-failures', 'chart-send-lag', 'chart-endpoints-rps', 'chart-endpoints-p95', 'chart-generator'].map(box).join('\n')}
</div>`
}

export const ENDPOINT_FIELDS = [
  'requests',
  'ok',
  'errors',
  'dropped',
  'expectedRps',
  'achievedRps',
  'p50',
  'p90',
  'p95',
  'p99',
  'max',
  'p95FromSend',
] as const
export type EndpointField = (typeof ENDPOINT_FIELDS)[number]

/** An endpoint's numbers as the table shows them: [raw value, text]. */
export function endpointCells(e: EndpointSummary): Record<EndpointField, readonly [number, string]> {
  const errors = sumValues(e.errors)
  const ms = (v: number) => [v, formatMs(v)] as const
  return {
    requests: [e.requests, formatNumber(e.requests)],
    ok: [e.ok, formatNumber(e.ok)],
    errors: [errors, formatNumber(errors)],
    dropped: [e.dropped, formatNumber(e.dropped)],
    expectedRps: [e.expectedRps, formatRps(e.expectedRps)],
    achievedRps: [e.achievedRps, formatRps(e.achievedRps)],
    p50: ms(e.latencyMs.p50),
    p90: ms(e.latencyMs.p90),
    p95: ms(e.latencyMs.p95),
    p99: ms(e.latencyMs.p99),
    max: ms(e.latencyMs.max),
    p95FromSend: ms(e.latencyFromSendMs.p95),
  }
}

function endpointsSection(s: Summary): string {
  const row = (id: string, e: EndpointSummary, total: boolean) => {
    const cells = endpointCells(e)
    const td = (field: EndpointField, extra = '') => {
      const [value, text] = cells[field]
      const bad = (field === 'errors' || field === 'dropped') && value > 0
      return `<td data-field="${field}" data-value="${value}"${bad ? ' class="bad"' : ''}>${esc(text)}${extra}</td>`
    }
    const kinds = Object.entries(e.errors)
      .map(([kind, n]) => `${kind} ${formatNumber(n ?? 0)}`)
      .join(', ')
    const statuses = Object.entries(e.status)
      .map(([code, n]) => `${code}: ${n}`)
      .join(', ')
    return `<tr data-endpoint="${esc(total ? 'total' : id)}"${total ? ' class="total"' : ''} title="${esc(statuses ? `status codes: ${statuses}` : '')}">
<td class="text"><code>${esc(id)}</code></td>${ENDPOINT_FIELDS.map((f) => td(f, f === 'errors' && kinds ? `<span class="kinds">${esc(kinds)}</span>` : '')).join('')}</tr>`
  }
  return `<h2>Endpoints</h2>
<div class="scroll"><table class="data" id="endpoints">
<thead><tr><th class="text">endpoint</th><th>requests</th><th>ok</th><th>errors</th><th>dropped</th><th>asked/s</th><th>achieved/s</th><th>p50 ms</th><th>p90 ms</th><th>p95 ms</th><th>p99 ms</th><th>max ms</th><th>p95 from send</th></tr></thead>
<tbody>
${Object.entries(s.endpoints)
  .map(([id, e]) => row(id, e, false))
  .join('\n')}
${row('total', s.total, true)}
</tbody>
</table></div>
<p class="muted">Latency from the intended send time, in ms. Generator: event-loop lag p99 ${esc(formatMs(s.generator.eventLoopLagMsP99))} ms, CPU ${esc(formatNumber(s.generator.cpuPct, 1))}% of a core on average, at most ${esc(formatNumber(s.generator.maxRssMb, 1))} MB of memory: ${s.generator.trustworthy ? 'its timing can be trusted' : '<span class="bad-text">its timing is in doubt</span>'}.</p>`
}

function configSection(s: Summary): string {
  return `<h2>Configuration and profile</h2>
<details open><summary>Run configuration (secrets redacted)</summary>${renderValue(s.config)}</details>
<details open><summary>Profile: the load asked for</summary>${renderValue(s.profile)}</details>`
}

/** Any JSON value as HTML: objects as key/value tables, arrays of objects as tables. */
export function renderValue(value: unknown): string {
  if (value === null || value === undefined) return '<span class="muted">–</span>'
  if (typeof value === 'number') return esc(formatNumber(value, 3))
  if (typeof value !== 'object') return `<code>${esc(String(value))}</code>`
  if (Array.isArray(value)) {
    if (value.length === 0) return '<span class="muted">none</span>'
    if (value.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v))) {
      const keys = [...new Set(value.flatMap((v) => Object.keys(v as object)))]
      const rows = value.map(
        (v) =>
          `<tr>${keys.map((k) => `<td class="text">${renderValue((v as Record<string, unknown>)[k])}</td>`).join('')}</tr>`,
      )
      return `<table class="data kv-list"><thead><tr>${keys.map((k) => `<th class="text">${esc(k)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`
    }
    return value.map(renderValue).join(', ')
  }
  const entries = Object.entries(value as Record<string, unknown>)
  if (entries.length === 0) return '<span class="muted">none</span>'
  return `<table class="kv">${entries.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${renderValue(v)}</td></tr>`).join('')}</table>`
}

/** The comparison with a baseline run, as a section of NEW's report. */
export function renderComparisonSection(c: Comparison): string {
  const shown: readonly ComparedMetric[] = METRICS
  const cls = (change: string) =>
    change === 'worse' ? ' class="bad"' : change === 'better' ? ' class="good"' : ''
  const row = (id: string, e: Comparison['total']) =>
    `<tr data-endpoint="${esc(id)}"><td class="text"><code>${esc(id)}</code></td><td class="text${e.verdict === 'regression' ? ' bad' : e.verdict === 'improvement' ? ' good' : ''}">${esc(VERDICT_TEXT[e.verdict])}</td>${shown
      .map((m) => {
        const d = e.metrics[m]
        return `<td${cls(d.change)} data-metric="${m}">${esc(formatMetric(m, d.base))} → ${esc(formatMetric(m, d.new))}<span class="kinds">${esc(formatChange(m, d))}</span></td>`
      })
      .join('')}</tr>`
  const verdict = c.verdict === 'regression' ? 'bad-text' : c.verdict === 'improvement' ? 'good-text' : ''
  return `<section id="comparison">
<h2>Compared with <code>${esc(c.base.runId)}</code>: <span class="${verdict}">${esc(VERDICT_TEXT[c.verdict])}</span></h2>
${c.notes.map((n) => `<div class="warning">${esc(n)}</div>`).join('\n')}
<div class="scroll"><table class="data">
<thead><tr><th class="text">endpoint</th><th class="text">verdict</th>${shown.map((m) => `<th>${esc(METRIC_LABELS[m])}<br><span class="muted">base → new</span></th>`).join('')}</tr></thead>
<tbody>
${Object.entries(c.endpoints)
  .map(([id, e]) => row(id, e))
  .join('\n')}
${row('total', c.total)}
</tbody></table></div>
<details><summary>Rules</summary><ul class="rules">${c.rules.map((r) => `<li>${esc(r)}</li>`).join('')}</ul></details>
</section>`
}
