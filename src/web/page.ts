import { drawCharts, inlineSafe, REPORT_CSS, uplotAssets } from '../report/index.js'
import { liveClient } from './page-client.js'

/**
 * The live page: the report's page, alive. The same stylesheet, uPlot and chart code as
 * report.html (all inlined: it opens with the network off); the numbers arrive over server-sent
 * events from its own server, which the CSP allows and nothing else.
 */
export function renderLivePage(): string {
  const uplot = uplotAssets()
  const charts = [
    'chart-throughput',
    'chart-latency',
    'chart-failures',
    'chart-send-lag',
    'chart-endpoints-rps',
    'chart-endpoints-p95',
    'chart-generator',
  ]
  const card = (field: string, label: string) =>
    `<div class="card" data-live="${field}"><div class="label">${label}</div><div class="value">–</div></div>`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'">
<title>checkin-load live</title>
<style>${inlineSafe(uplot.css)}</style>
<style>${inlineSafe(REPORT_CSS)}${LIVE_CSS}</style>
</head>
<body>
<main>
<header>
<h1>checkin-load <span id="kind">run</span> <span class="badge live" id="state">connecting…</span> <span id="verdict"></span></h1>
<p class="run-line" id="run-line">Waiting for the run to start…</p>
<p class="run-line muted" id="clock-line"></p>
<div class="cards">
${card('elapsed', 'elapsed')}
${card('share', 'share asked')}
${card('asked', 'asked req/s')}
${card('achieved', 'achieved req/s')}
${card('p95', 'p95 since start (ms)')}
${card('errors', 'errors')}
${card('dropped', 'dropped')}
${card('inFlight', 'in flight')}
</div>
</header>
<section id="control" class="panel">
<h2>Steer the load</h2>
<div class="controls">
<label>User scale <input type="number" id="scale-input" min="0" step="0.1" value="1"></label>
<button type="button" id="scale-set">Set scale</button>
<button type="button" id="pause">Pause arrivals</button>
<button type="button" id="resume">Resume</button>
<button type="button" id="stop" class="danger">Stop the run</button>
<span class="muted" id="control-state"></span>
</div>
<p class="muted">The user scale multiplies the stages' share from now on (ramped over one second); pause stops the arrivals, resume restores the scale; stop ends the run as Ctrl-C does. Every change is recorded in <code>series.ndjson</code> and marked on the charts. <span id="scale-limit"></span></p>
<p id="control-message" role="status"></p>
<ul id="control-log" class="log"></ul>
</section>
<h2>Thresholds, as they stand</h2>
<div class="scroll"><table class="data" id="thresholds">
<thead><tr><th class="text">now</th><th class="text">metric</th><th class="text">condition</th><th>measured</th></tr></thead>
<tbody></tbody></table></div>
<section id="steps-section" hidden>
<h2>Capacity steps, as judged</h2>
<div class="scroll"><table class="data" id="steps">
<thead><tr><th>step</th><th>share</th><th>asked/s</th><th>achieved/s</th><th>p95 ms</th><th>errors</th><th class="text">verdict</th></tr></thead>
<tbody></tbody></table></div>
</section>
<h2>Over time</h2>
<div class="controls">
<label>Endpoint <select id="endpoint-select"><option value="total">all endpoints</option></select></label>
<label><input type="checkbox" id="show-from-send"> show latency from the actual send (dashed)</label>
<span class="muted">Click a legend entry to hide or show a line.</span>
</div>
<div class="charts">
${charts.map((id) => `<div class="chart" id="${id}"></div>`).join('\n')}
</div>
<h2>Endpoints</h2>
<div class="scroll"><table class="data" id="endpoints">
<thead><tr><th class="text">endpoint</th><th>requests</th><th>ok</th><th>errors</th><th>dropped</th><th>asked/s</th><th>achieved/s</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>max ms</th></tr></thead>
<tbody></tbody></table></div>
<p class="muted">Asked and achieved per second in the last second; counts and latency (from the intended send time) since the start.</p>
<footer>checkin-load live page: fed every second by server-sent events from this run. <a id="report-link" hidden>The final report</a></footer>
</main>
<script>${inlineSafe(uplot.script)}</script>
<script>const drawCharts = (${inlineSafe(drawCharts.toString())});
(${inlineSafe(liveClient.toString())})(window.uPlot, drawCharts);</script>
</body>
</html>
`
}

const LIVE_CSS = `
.badge.live { background: #ddf4ff; color: #0969da; }
.badge.paused { background: #fff8c5; color: #9a6700; }
.badge.ended { background: #eaeef2; color: #59636e; }
.panel { border: 1px solid var(--line); border-radius: 6px; padding: 4px 16px 8px; margin-top: 16px; }
.panel h2 { border: none; margin-top: 8px; }
.controls input[type=number] { width: 6em; font: inherit; padding: 2px 6px; }
button { font: inherit; padding: 3px 12px; border: 1px solid var(--line); border-radius: 6px; background: var(--bg-soft); cursor: pointer; }
button:disabled { opacity: 0.5; cursor: default; }
button.danger { color: var(--red); }
#control-message.bad { color: var(--red); }
ul.log { margin: 4px 0; padding-left: 20px; color: var(--muted); font-size: 12px; }
`
