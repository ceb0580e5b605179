import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Summary } from '../model/results.js'
import { renderJUnit, xml } from './junit.js'
import { renderMarkdown } from './markdown.js'
import { formatSummaryTable } from './table.js'
import { formatTable, stripAnsi } from './text-table.js'

const stats = { min: 1, p50: 2, p90: 3, p95: 4, p99: 5, max: 60, mean: 2.5 }
const endpoint = {
  requests: 100,
  ok: 98,
  dropped: 3,
  errors: { http_5xx: 2 },
  status: { '200': 98, '503': 2 },
  expectedRps: 10.3,
  achievedRps: 10,
  latencyMs: stats,
  latencyFromSendMs: stats,
  sendLagMs: stats,
  histogram: '',
  histogramFromSend: '',
  histogramSendLag: '',
}
const summary: Summary = {
  schemaVersion: 1,
  runId: 'run<1>',
  target: 'http://127.0.0.1:3000',
  startedAt: '2026-11-26T22:00:00.000Z',
  endedAt: '2026-11-26T22:00:10.000Z',
  durationS: 10,
  endReason: 'completed',
  config: {},
  profile: {},
  endpoints: { post_session: endpoint },
  total: endpoint,
  generator: {
    eventLoopLagMsP99: 30,
    cpuPct: 99,
    maxRssMb: 90,
    trustworthy: false,
    warnings: ['lag was high'],
  },
  thresholds: [
    { metric: 'http_req_duration{endpoint:post_session}', expr: 'p(95)<500', value: 4, ok: true },
    { metric: 'http_req_failed', expr: 'rate<0.01', value: 0.02, ok: false },
    { metric: 'dropped', expr: 'count==0', value: 3, ok: false, abortOnFail: true },
    { metric: 'http_req_duration{endpoint:nope}', expr: 'p(95)<1', value: null, ok: false },
  ],
  passed: false,
}

test('JUnit: a test case per threshold, failures with measured values, plus the generator', () => {
  const out = renderJUnit(summary)
  assert.match(
    out,
    /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="checkin-load" tests="5" failures="4"/,
  )
  assert.match(
    out,
    /<testcase classname="http_req_duration\{endpoint:post_session\}" name="p\(95\)&lt;500" time="0"><\/testcase>/,
  )
  assert.match(
    out,
    /<failure type="threshold" message="http_req_failed: rate&lt;0.01 not met \(measured 2%\)">/,
  )
  assert.match(out, /message="dropped: count==0 not met \(measured 3\)"/)
  assert.match(out, /message="http_req_duration\{endpoint:nope\}: p\(95\)&lt;1 not met \(measured no data\)"/)
  assert.match(
    out,
    /<testcase classname="generator" name="trustworthy" time="0">\n\s+<failure type="generator" message="lag was high"\/>/,
  )
  assert.match(out, /name="checkin-load thresholds run&lt;1&gt;"/)
  assert.equal(xml('a&b"c\'<\u0001>'), 'a&amp;b&quot;c&apos;&lt;&gt;')
})

test('Markdown: verdict, per-endpoint table, thresholds, warnings', () => {
  const out = renderMarkdown(summary)
  assert.match(out, /^## checkin-load: ❌ FAILED: 3 of 4 thresholds not met\n/)
  assert.match(
    out,
    /\| `post_session` \| 100 \| 98 \| \*\*2\*\* \| \*\*3\*\* \| 10.3 \| 10 \| 2 \| 3 \| 4 \| 5 \| 60 \|/,
  )
  assert.match(out, /\| ❌ \| `http_req_failed` \| `rate<0.01` \| 2% \|/)
  assert.match(out, /> ⚠️ Generator not trustworthy: lag was high/)
})

test('terminal table: rows, errors by kind, thresholds, warning, verdict; colour only when asked', () => {
  const plain = formatSummaryTable(summary, { color: false })
  assert.ok(!plain.includes('\u001b['), 'no colour codes')
  assert.match(plain, /^post_session\s+100\s+98\s+2\s+3\s+10.3\s+10\s+2\s+3\s+4\s+5\s+60$/m)
  assert.match(plain, /^ {2}post_session: http_5xx 2$/m)
  assert.match(plain, /^ {2}✓ http_req_duration\{endpoint:post_session\}: p\(95\)<500 \(measured 4 ms\)$/m)
  assert.match(plain, /^ {2}✗ http_req_failed: rate<0.01 \(measured 2%\)$/m)
  assert.match(plain, /Generator not trustworthy: lag was high/)
  assert.match(plain, /FAILED: 3 of 4 thresholds not met/)
  const coloured = formatSummaryTable(summary, { color: true })
  assert.ok(coloured.includes('\u001b[31m  ✗ http_req_failed'), 'failures in red')
  assert.equal(stripAnsi(coloured), plain)
})

test('formatTable aligns numbers right and text left, ignoring colour codes', () => {
  const out = formatTable(
    ['name', 'n'],
    [
      ['a', 1],
      ['\u001b[31mlong\u001b[0m', 1000],
    ],
  )
  assert.equal(stripAnsi(out), 'name     n\n----  ----\na        1\nlong  1000')
})
