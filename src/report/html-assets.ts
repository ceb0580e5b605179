import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

/**
 * What the report page inlines so that it opens offline: uPlot's script and stylesheet, read from
 * node_modules at render time, and the report's own stylesheet.
 */
const require = createRequire(import.meta.url)

let uplot: { script: string; css: string } | undefined

export function uplotAssets(): { script: string; css: string } {
  uplot ??= {
    script: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  }
  return uplot
}

/** Text that may sit inside <script> or <style>: it can't close the element early. */
export function inlineSafe(text: string): string {
  return text.replace(/<\/(script|style)/gi, '<\\/$1').replace(/<!--/g, '<\\!--')
}

/** JSON for a <script type="application/json"> element: no "<" at all, so nothing can close it. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}

/** Escapes text for HTML content and attribute values. */
export function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)
}

/** A self-contained page of charts: what the run report and the capacity report have in common. */
export interface ChartPage {
  readonly title: string
  /** the page's own stylesheet (uPlot's comes first) */
  readonly css: string
  /** the HTML inside <main> */
  readonly main: string
  /** id of the JSON data element the draw function reads */
  readonly dataId: string
  readonly data: unknown
  /** runs in the browser as draw(window.uPlot, data): it must use nothing from its closure */
  readonly draw: (uPlot: never, data: never) => void
}

/**
 * The whole document: no request leaves it (the CSP forbids them), uPlot and the data inlined so
 * that it opens offline, the draw function's source inlined and called on load.
 */
export function renderChartPage(page: ChartPage): string {
  const uplot = uplotAssets()
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(page.title)}</title>
<style>${inlineSafe(uplot.css)}</style>
<style>${inlineSafe(page.css)}</style>
</head>
<body>
<main>
${page.main}
</main>
<script type="application/json" id="${page.dataId}">${jsonForScript(page.data)}</script>
<script>${inlineSafe(uplot.script)}</script>
<script>(${inlineSafe(page.draw.toString())})(window.uPlot, JSON.parse(document.getElementById('${page.dataId}').textContent));</script>
</body>
</html>
`
}

export const REPORT_CSS = `
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg-soft: #f6f8fa; --red: #cf222e; --green: #1a7f37;
  --amber: #9a6700; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff; font-size: 14px; line-height: 1.45; }
main { max-width: 1280px; margin: 0 auto; padding: 20px 24px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 16px 0 8px; }
.muted { color: var(--muted); }
.run-line { margin: 0; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: 600; font-size: 13px; vertical-align: 3px; margin-left: 8px; }
.badge.pass { background: #dafbe1; color: var(--green); }
.badge.fail { background: #ffebe9; color: var(--red); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(130px, 1fr)); gap: 10px; margin: 16px 0 4px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; background: var(--bg-soft); }
.card .label { color: var(--muted); font-size: 12px; }
.card .value { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card.bad .value { color: var(--red); }
.warning { border-left: 4px solid var(--amber); background: #fff8c5; padding: 8px 12px; margin: 10px 0; border-radius: 0 6px 6px 0; }
.warning.bad { border-color: var(--red); background: #ffebe9; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
table.data { width: 100%; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: right; vertical-align: top; }
th { background: var(--bg-soft); font-weight: 600; font-size: 12px; white-space: nowrap; }
th.text, td.text { text-align: left; }
tr.total td { font-weight: 600; border-top: 2px solid var(--line); }
td.bad, .bad-text { color: var(--red); font-weight: 600; }
td.good, .good-text { color: var(--green); font-weight: 600; }
.kinds { display: block; color: var(--muted); font-size: 11px; font-weight: 400; }
.scroll { overflow-x: auto; }
.controls { display: flex; flex-wrap: wrap; gap: 16px; align-items: center; margin: 8px 0 12px; }
.controls select { font: inherit; padding: 2px 6px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 16px 20px; }
.chart { min-width: 0; break-inside: avoid; }
.uplot { font-family: inherit; }
.uplot .title { font-size: 13px; font-weight: 600; }
table.kv td, table.kv th { text-align: left; font-weight: 400; background: none; }
table.kv th { color: var(--muted); width: 1%; white-space: nowrap; }
table.kv table.kv { margin: 0; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
details > summary { cursor: pointer; margin: 6px 0; }
ul.rules { margin: 6px 0; padding-left: 20px; color: var(--muted); }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
@media (max-width: 700px) { .charts { grid-template-columns: 1fr; } main { padding: 12px; } }
@media print {
  @page { margin: 12mm; }
  body { font-size: 11px; }
  main { max-width: none; padding: 0; }
  .controls, .no-print { display: none !important; }
  .charts { grid-template-columns: 1fr; }
  h2 { break-after: avoid; }
  tr, .card, .chart, .warning { break-inside: avoid; }
  details { display: block; }
  details > *:not(summary) { display: block; }
  .scroll { overflow: visible; }
}
`
