import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Summary } from '../model/results.js'
import type { ChartData } from './chart-data.js'
import { esc, renderReport, renderValue } from './html.js'
import { inlineSafe, jsonForScript } from './html-assets.js'

const HOSTILE = '</script><script>alert(1)</script><!--'

test('escaping: HTML text, inline script text and embedded JSON cannot break out', () => {
  assert.equal(esc(`<a href="x">'&`), '&#60;a href=&#34;x&#34;&#62;&#39;&#38;')
  assert.equal(inlineSafe('x</script>y</STYLE>z<!--'), 'x<\\/script>y<\\/STYLE>z<\\!--')
  const json = jsonForScript({ id: HOSTILE, s: '\u2028' })
  assert.doesNotMatch(json, /</)
  assert.deepEqual(JSON.parse(json), { id: HOSTILE, s: '\u2028' })
})

test('renderValue: objects as key/value tables, arrays of objects as tables, all escaped', () => {
  const html = renderValue({ stages: [{ durationMs: 1000, target: 1 }], target: HOSTILE, n: 12020 })
  assert.match(html, /<th class="text">durationMs<\/th><th class="text">target<\/th>/)
  assert.match(html, /<td class="text">1,000<\/td>/)
  assert.match(html, /12,020/)
  assert.doesNotMatch(html, /<\/script>/)
})

test('a report with a hostile endpoint id and run id has exactly its own three script elements', () => {
  const stats = { min: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0, mean: 0 }
  const e = {
    requests: 0,
    ok: 0,
    dropped: 0,
    errors: {},
    status: {},
    expectedRps: 0,
    achievedRps: 0,
    latencyMs: stats,
    latencyFromSendMs: stats,
    sendLagMs: stats,
    histogram: '',
    histogramFromSend: '',
    histogramSendLag: '',
  }
  const summary: Summary = {
    schemaVersion: 1,
    runId: HOSTILE,
    target: HOSTILE,
    startedAt: '',
    endedAt: '',
    durationS: 0,
    endReason: 'incomplete',
    config: { profile: HOSTILE },
    profile: {},
    endpoints: { [HOSTILE]: e },
    total: e,
    generator: { eventLoopLagMsP99: 0, cpuPct: 0, maxRssMb: 0, trustworthy: true, warnings: [HOSTILE] },
    thresholds: [{ metric: HOSTILE, expr: HOSTILE, value: null, ok: false }],
    passed: false,
  }
  const chart: ChartData = {
    t: [0],
    share: [1],
    total: {
      asked: [0],
      achieved: [0],
      errors: [0],
      dropped: [0],
      p50: [null],
      p95: [null],
      p99: [null],
      sendP50: [null],
      sendP95: [null],
      sendP99: [null],
      lagP99: [null],
      lagMax: [null],
    },
    endpoints: {},
    generator: { eventLoopLagMsP99: [0], cpuPct: [0], rssMb: [0], inFlight: [0] },
  }
  const html = renderReport(summary, chart)
  assert.equal(html.match(/<script/gi)?.length, 3)
  assert.equal(html.match(/<\/script>/gi)?.length, 3)
  assert.equal(html.match(/<!--/g), null)
  assert.match(html, /^<!doctype html>/)
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/)
  // no URL to fetch anything from (uPlot's licence comment names its home; the browser test shows no request)
  const urls = html.match(/https?:\/\/[^\s'"<]*/g)?.filter((u) => u !== 'https://github.com/leeoniya/uPlot')
  assert.deepEqual(urls, [])
})
