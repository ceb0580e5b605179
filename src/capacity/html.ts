import { esc, renderChartPage } from '../report/index.js'
import { type CapacityChartData, drawCapacityCharts } from './html-client.js'
import type { CapacityFile, CapacityStep } from './result.js'

/**
 * capacity.html: the search on one self-contained page (uPlot and the data inlined, opens
 * offline): the verdict, the knee (latency vs asked rate) and achieved vs asked, every step's
 * numbers and why it passed or failed, the SLOs and settings.
 */

const num = (v: number, decimals = 1) => v.toLocaleString('en-US', { maximumFractionDigits: decimals })
const ms = (v: number) => num(v, v < 10 ? 2 : v < 1000 ? 1 : 0)

const CSS = `
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --soft: #f6f8fa; --red: #cf222e; --green: #1a7f37; --amber: #9a6700;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); font-size: 14px; line-height: 1.45; }
main { max-width: 1280px; margin: 0 auto; padding: 20px 24px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
.muted { color: var(--muted); }
.badge { display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: 600; font-size: 13px; vertical-align: 3px; margin-left: 8px; }
.badge.pass { background: #dafbe1; color: var(--green); }
.badge.fail { background: #ffebe9; color: var(--red); }
.badge.warn { background: #fff8c5; color: var(--amber); }
.verdict { border-left: 4px solid var(--line); background: var(--soft); padding: 10px 14px; margin: 14px 0; border-radius: 0 6px 6px 0; }
.verdict.pass { border-color: var(--green); }
.verdict.fail { border-color: var(--red); }
.verdict.warn { border-color: var(--amber); background: #fff8c5; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; margin: 16px 0 4px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; background: var(--soft); }
.card .label { color: var(--muted); font-size: 12px; }
.card .value { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; width: 100%; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: right; vertical-align: top; }
th { background: var(--soft); font-weight: 600; font-size: 12px; white-space: nowrap; }
th.text, td.text { text-align: left; }
tr.fail td.result, td.bad { color: var(--red); font-weight: 600; }
tr.pass td.result { color: var(--green); font-weight: 600; }
tr.untrusted td.result, tr.interrupted td.result { color: var(--amber); font-weight: 600; }
.why { display: block; color: var(--muted); font-size: 11px; font-weight: 400; max-width: 420px; text-align: left; overflow-wrap: anywhere; }
.controls { margin: 8px 0 12px; }
.controls select { font: inherit; padding: 2px 6px; }
.scroll { overflow-x: auto; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 16px 20px; }
.chart { min-width: 0; break-inside: avoid; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
@media (max-width: 700px) { .charts { grid-template-columns: 1fr; } main { padding: 12px; } }
@media print { main { max-width: none; padding: 0; } .charts { grid-template-columns: 1fr; } tr, .card, .chart { break-inside: avoid; } }
`

/** The chart data: judged steps by asked rate. */
export function capacityChartData(file: CapacityFile): CapacityChartData {
  const steps = file.steps
    .filter((s) => s.result !== 'interrupted')
    .sort((a, b) => a.expectedRps - b.expectedRps)
  const sentPerShare =
    file.steps[0] && file.steps[0].share > 0 ? file.steps[0].expectedRps / file.steps[0].share : 0
  const at = (share: number | undefined) =>
    share === undefined || sentPerShare === 0 ? null : share * sentPerShare
  const ids = Object.keys(file.profile.endpoints)
  const percentiles = (pick: (s: CapacityStep) => { p50: number; p95: number; p99: number } | undefined) => ({
    p50: steps.map((s) => pick(s)?.p50 ?? 0),
    p95: steps.map((s) => pick(s)?.p95 ?? 0),
    p99: steps.map((s) => pick(s)?.p99 ?? 0),
  })
  const latency: Record<string, { p50: number[]; p95: number[]; p99: number[] }> = {
    total: percentiles((s) => s.latencyMs),
  }
  for (const id of ids) latency[id] = percentiles((s) => s.endpoints[id]?.latencyMs)
  const brokeFirst = file.verdict.failed?.brokeFirst?.endpoint
  return {
    asked: steps.map((s) => s.expectedRps),
    achieved: steps.map((s) => s.achievedRps),
    latency,
    focus: brokeFirst !== undefined && ids.includes(brokeFirst) ? brokeFirst : 'total',
    share: steps.map((s) => s.share),
    result: steps.map((s) => s.result),
    heldRps: at(file.verdict.held?.share),
    failedRps: at(file.verdict.failed?.share),
    predictedRps: at(file.prediction?.saturationShare),
  }
}

export function renderCapacityReport(file: CapacityFile): string {
  const data = capacityChartData(file)
  return renderChartPage({
    title: `checkin-load capacity ${file.runId}`,
    css: CSS,
    main: `${header(file)}
<h2>The knee</h2>
${
  data.asked.length === 0
    ? '<p class="muted">No step was judged: nothing to chart.</p>'
    : `<div class="controls"><label>Latency of <select id="knee-endpoint">${['total', ...Object.keys(file.profile.endpoints)].map((id) => `<option value="${esc(id)}">${id === 'total' ? 'all endpoints' : esc(id)}</option>`).join('')}</select></label> <span class="muted">(first shown: the endpoint whose SLO broke first)</span></div>
<div class="charts"><div class="chart" id="chart-knee"></div><div class="chart" id="chart-throughput"></div></div>
<p class="muted">Each point is a step: green held, red failed, grey untrusted (the generator may have decided it). Asked = the rate the step's share asks${file.profile.timeScale !== 1 ? `, as sent to the time-scaled twin (x${num(1 / file.profile.timeScale, 3)} the real profile's)` : ''}; latency from each request's intended send time, over the step's judged window.</p>`
}
${stepsSection(file)}
${loadSection(file)}
${slosSection(file)}
${settingsSection(file)}
<footer>Made by checkin-load from <code>capacity.json</code> (schema version ${file.schemaVersion}). Each step is a fresh run of the engine against the same target; its per-second series is in <code>steps/NN/series.ndjson</code> (<code>checkin-load report</code> rebuilds a step's full report from it).</footer>`,
    dataId: 'capacity-data',
    data,
    draw: drawCapacityCharts,
  })
}

function header(f: CapacityFile): string {
  const v = f.verdict
  const cls =
    v.kind === 'generator_limited' || v.kind === 'interrupted' || v.kind === 'time_limit'
      ? 'warn'
      : v.oneXHeld
        ? 'pass'
        : 'fail'
  const badge =
    cls === 'warn'
      ? `<span class="badge warn" id="verdict">${esc(v.kind === 'generator_limited' ? 'GENERATOR-LIMITED' : v.kind.toUpperCase().replace('_', ' '))}</span>`
      : v.oneXHeld
        ? '<span class="badge pass" id="verdict">1x HELD</span>'
        : '<span class="badge fail" id="verdict">1x DID NOT HOLD</span>'
  const card = (label: string, value: string, field: string) =>
    `<div class="card" data-field="${field}"><div class="label">${esc(label)}</div><div class="value">${esc(value)}</div></div>`
  const embedded = f.embedded
    ? ` (embedded stand-in: ${esc(f.embedded.preset)}, ${esc(f.embedded.workers)} workers${f.embedded.timeScale !== 1 ? `, time scale ${esc(f.embedded.timeScale)}` : ''})`
    : ''
  return `<header>
<h1>checkin-load capacity ${badge}</h1>
<p class="muted">Search <code>${esc(f.runId)}</code> against <code>${esc(f.target)}</code>${embedded}, profile <code>${esc(f.profile.name)}</code>${f.profile.scale !== 1 ? ` x${esc(f.profile.scale)}` : ''}: 1x = ${esc(num(f.profile.totalRps, 2))} req/s. ${esc(f.startedAt)} → ${esc(f.endedAt)} (${esc(num(f.durationS, 0))} s).</p>
<div class="verdict ${cls}" id="verdict-text">${esc(v.message)}</div>
<div class="cards">
${card('held', v.held ? `${v.held.share}x` : '–', 'held')}
${card('held req/s', v.held ? num(v.held.totalRps, 1) : '–', 'heldRps')}
${card('first failed', v.failed ? `${v.failed.share}x` : '–', 'failed')}
${f.prediction ? card("Little's law knee", `${num(f.prediction.saturationShare, 3)}x`, 'prediction') : ''}
${card('steps', String(f.steps.length), 'steps')}
</div>
</header>`
}

function why(s: CapacityStep): string {
  if (s.result === 'untrusted') return s.generator.untrustedBecause ?? 'the generator could not be trusted'
  if (s.result === 'interrupted') return 'stopped before its end: not judged'
  const parts = s.failures.map(
    (f) =>
      `${f.metric} ${f.expr}: ${f.value === null ? 'no data' : num(f.value, 3)}${f.firstFailedS !== null ? ` (from second ${f.firstFailedS})` : ''}`,
  )
  if (s.generator.warnings.length > 0) parts.push(`generator: ${s.generator.warnings.join('; ')}`)
  return parts.join(' · ')
}

function stepsSection(f: CapacityFile): string {
  const rows = f.steps.map(
    (s) => `<tr class="${s.result}" data-step="${s.index}">
<td>${s.index}</td><td>${esc(s.share)}x</td><td class="text">${esc(s.phase)}</td><td>${esc(num(s.expectedRps))}</td><td>${esc(num(s.askedRps))}</td><td>${esc(num(s.achievedRps))}</td><td>${esc(ms(s.latencyMs.p50))}</td><td>${esc(ms(s.latencyMs.p95))}</td><td>${esc(ms(s.latencyMs.p99))}</td><td${s.errors > 0 ? ' class="bad"' : ''}>${esc(num(s.errors, 0))}</td><td${s.dropped > 0 ? ' class="bad"' : ''}>${esc(num(s.dropped, 0))}</td><td>${esc(ms(s.generator.eventLoopLagMsP99))}</td><td>${esc(num(s.generator.cpuPct, 0))}%</td><td>${esc(ms(s.generator.sendLagMs.p99))}</td><td class="text result">${esc(s.result)}<span class="why">${esc(why(s))}</span></td></tr>`,
  )
  return `<h2>Steps</h2>
<div class="scroll"><table id="steps">
<thead><tr><th>step</th><th>share</th><th class="text">phase</th><th>rate of the share/s</th><th>asked/s</th><th>achieved/s</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>errors</th><th>dropped</th><th>loop lag ms</th><th>CPU</th><th>send lag p99</th><th class="text">result</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table></div>
<p class="muted">Each step: ${esc(f.settings.warmupS)} s of warm-up (not judged), then ${esc(f.settings.stepDurationS)} s judged; the judged window also holds the answers that came after the hold. Rates are over the hold: the rate the share asks for, what was asked (sent or dropped) and what was answered. Generator: worst per-second event-loop lag p99, mean CPU (% of a core), send lag p99.</p>`
}

function loadSection(f: CapacityFile): string {
  const ids = Object.keys(f.profile.endpoints)
  const cell = (v: number | undefined) => (v === undefined ? '–' : esc(num(v, 1)))
  const rows = ids.map(
    (id) =>
      `<tr><td class="text"><code>${esc(id)}</code></td><td>${cell(f.profile.endpoints[id]?.rpm)}</td><td>${cell(f.verdict.held?.endpoints[id]?.rpm)}</td><td>${cell(f.verdict.failed?.endpoints[id]?.rpm)}</td></tr>`,
  )
  rows.push(
    `<tr><td class="text"><strong>total</strong></td><td>${cell(f.profile.totalRpm)}</td><td>${cell(f.verdict.held?.totalRpm)}</td><td>${cell(f.verdict.failed?.totalRpm)}</td></tr>`,
  )
  return `<h2>Requests per minute per endpoint</h2>
<div class="scroll"><table id="load"><thead><tr><th class="text">endpoint</th><th>1x of the profile</th><th>held${f.verdict.held ? ` (${esc(f.verdict.held.share)}x)` : ''}</th><th>first failed${f.verdict.failed ? ` (${esc(f.verdict.failed.share)}x)` : ''}</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div>`
}

function slosSection(f: CapacityFile): string {
  const scaled = f.slos.some((s) => s.expr !== s.judgedExpr)
  const rows = f.slos.map(
    (s) =>
      `<tr><td class="text"><code>${esc(s.metric)}</code></td><td class="text"><code>${esc(s.expr)}</code></td>${scaled ? `<td class="text"><code>${esc(s.judgedExpr)}</code></td>` : ''}</tr>`,
  )
  return `<h2>SLOs</h2>
<div class="scroll"><table id="slos"><thead><tr><th class="text">metric</th><th class="text">condition</th>${scaled ? `<th class="text">judged (latency x${esc(f.profile.timeScale)}, the twin's time scale)</th>` : ''}</tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div>`
}

function settingsSection(f: CapacityFile): string {
  const s = f.settings
  const items: [string, string][] = [
    ['start', `${s.start}x`],
    ['factor', `x${s.factor} while it holds`],
    ['precision', `${num(s.precision * 100, 2)}% (relative gap between held and failed)`],
    ['shares', `${s.minScale}x to ${s.maxScale}x`],
    ['steps', `${s.warmupS} s warm-up + ${s.stepDurationS} s judged`],
    ['time limit', `${s.maxDurationS} s`],
    ['rest between steps', s.coolDown],
    ['arrivals', s.arrival],
    ['seed', String(s.seed)],
  ]
  if (f.profile.timeScale !== 1)
    items.push([
      'time scaling',
      `the stand-in's delays x${f.profile.timeScale}, the profile's rates x${num(1 / f.profile.timeScale, 3)}: busy workers (Little's law) and so the knee stay at the same share of the real profile`,
    ])
  if (f.prediction)
    items.push([
      "Little's law",
      `${f.prediction.preset} delays, ${f.prediction.workers} workers: ${num(f.prediction.busyWorkersAt1x, 1)} busy at 1x, the pool saturates at ${num(f.prediction.saturationShare, 3)}x`,
    ])
  return `<h2>Settings</h2>
<table id="settings">${items.map(([k, v]) => `<tr><th class="text">${esc(k)}</th><td class="text">${esc(v)}</td></tr>`).join('')}</table>`
}
