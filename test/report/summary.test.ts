import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { parseThreshold } from '../../src/config/thresholds.js'
import { decodeHistogram, encodeHistogram, newHistogram, recordUs } from '../../src/model/histogram.js'
import { summarySchema } from '../../src/model/results.js'
import { latencyStatsMs } from '../../src/report/histogram-stats.js'
import { summarySource } from '../../src/report/metric-source.js'
import { rebuildSummary, thresholdsOfRun } from '../../src/report/rebuild.js'
import { SummaryBuilder } from '../../src/report/summary.js'
import { formatSummaryTable } from '../../src/report/table.js'
import { evaluateThresholds } from '../../src/report/thresholds.js'
import { synthesizeRun, writeRunFolder } from './fixtures.js'

const parent = mkdtempSync(join(tmpdir(), 'checkin-load-summary-'))
const run = synthesizeRun({
  seconds: 30,
  seed: 7,
  errorRate: (id) => (id === 'post_session' ? 0.02 : 0),
  dropped: (id, t) => (id === 'get_session' && t === 20 ? 3 : 0),
})

function build(seconds = run.seconds) {
  const builder = new SummaryBuilder(run.header)
  for (const s of seconds) builder.add(s)
  return builder
}

test('counts add up over seconds, per endpoint and in total', () => {
  const summary = build().build({ endReason: 'completed', thresholds: [] })
  assert.doesNotThrow(() => summarySchema.parse(summary))
  assert.equal(summary.durationS, 30)
  let totalRequests = 0
  for (const id of run.header.endpoints) {
    const expected = { asked: 0, requests: 0, ok: 0, dropped: 0 }
    for (const s of run.seconds) {
      const e = s.endpoints[id]!
      expected.asked += e.asked
      expected.requests += e.requests
      expected.ok += e.ok
      expected.dropped += e.dropped
    }
    const got = summary.endpoints[id]!
    assert.equal(got.requests, expected.requests, id)
    assert.equal(got.ok, expected.ok, id)
    assert.equal(got.dropped, expected.dropped, id)
    assert.equal(got.expectedRps, Number((expected.asked / 30).toFixed(3)), id)
    assert.equal(got.achievedRps, Number((expected.requests / 30).toFixed(3)), id)
    assert.equal((got.errors.http_5xx ?? 0) + got.ok, got.requests, id)
    assert.equal((got.status['503'] ?? 0) + (got.status['200'] ?? 0), got.requests, id)
    totalRequests += expected.requests
  }
  assert.equal(summary.total.requests, totalRequests)
  assert.equal(summary.total.dropped, 3)
  assert.ok((summary.endpoints.post_session!.errors.http_5xx ?? 0) > 0)
})

/** One histogram recorded from raw values, then encoded and decoded as every histogram of a run is
 * (decoding sets max to the top of its bucket, so a round trip is needed for max to compare). */
function recorded(values: Iterable<number>) {
  const h = newHistogram()
  for (const us of values) recordUs(h, us)
  return decodeHistogram(encodeHistogram(h))
}

test('percentiles equal those of one histogram recorded from every raw value', () => {
  const summary = build().build({ endReason: 'completed', thresholds: [] })
  for (const [id, values] of run.rawLatencyUs)
    assert.deepEqual(summary.endpoints[id]!.latencyMs, latencyStatsMs(recorded(values)), id)
  const all = recorded([...run.rawLatencyUs.values()].flat())
  assert.deepEqual(summary.total.latencyMs, latencyStatsMs(all))
  assert.equal(summary.total.latencyMs.p95, Math.round(all.getValueAtPercentile(95)) / 1000)
})

test('thresholds evaluate to hdr values, on the builder and on the summary read back alike', () => {
  const specs = [
    parseThreshold(
      'http_req_duration{endpoint:post_session}: p(95)<1000, p(99.9)<0.001, avg<1000, med<1000, min>0, max<1000',
    ),
    parseThreshold('http_req_failed{endpoint:post_session}: rate<0.01'),
    parseThreshold('http_req_failed{endpoint:get_session}: rate==0'),
    parseThreshold('http_reqs: count>0, rate>100'),
    parseThreshold('dropped: count==3, rate<0.001'),
    parseThreshold('send_lag: p(99)<1'),
    parseThreshold('http_req_duration{endpoint:no_such_endpoint}: p(95)<1000'),
  ]
  const builder = build()
  const results = evaluateThresholds(specs, builder)
  const raw = recorded(run.rawLatencyUs.get('post_session')!)
  const byExpr = (metric: string, expr: string) =>
    results.find((r) => r.metric === metric && r.expr === expr)!
  const post = 'http_req_duration{endpoint:post_session}'
  assert.equal(byExpr(post, 'p(95)<1000').value, Math.round(raw.getValueAtPercentile(95)) / 1000)
  assert.equal(byExpr(post, 'p(99.9)<0.001').value, Math.round(raw.getValueAtPercentile(99.9)) / 1000)
  assert.equal(byExpr(post, 'p(99.9)<0.001').ok, false)
  assert.equal(byExpr(post, 'avg<1000').value, Math.round(raw.mean) / 1000)
  assert.equal(byExpr(post, 'med<1000').value, Math.round(raw.getValueAtPercentile(50)) / 1000)
  assert.equal(byExpr(post, 'min>0').value, raw.minNonZeroValue / 1000)
  assert.equal(byExpr(post, 'max<1000').value, raw.maxValue / 1000)
  const s = builder.build({ endReason: 'completed', thresholds: [] })
  const postSession = s.endpoints.post_session!
  assert.equal(
    byExpr('http_req_failed{endpoint:post_session}', 'rate<0.01').value,
    Number(((postSession.requests - postSession.ok) / postSession.requests).toFixed(6)),
  )
  assert.equal(byExpr('http_req_failed{endpoint:post_session}', 'rate<0.01').ok, false)
  assert.equal(byExpr('http_req_failed{endpoint:get_session}', 'rate==0').ok, true)
  assert.equal(byExpr('http_reqs', 'count>0').value, s.total.requests)
  assert.equal(byExpr('dropped', 'count==3').ok, true)
  assert.equal(byExpr('http_req_duration{endpoint:no_such_endpoint}', 'p(95)<1000').value, null)
  assert.equal(byExpr('http_req_duration{endpoint:no_such_endpoint}', 'p(95)<1000').ok, false)
  // the same judgement from summary.json as read back
  const again = evaluateThresholds(specs, summarySource(summarySchema.parse(JSON.parse(JSON.stringify(s)))))
  assert.deepEqual(again, results)
})

test('build() is the same whether the run is folded at once or built every second along the way', () => {
  const once = build().build({ endReason: 'completed', thresholds: thresholdsOfRun(run.header) })
  const live = new SummaryBuilder(run.header)
  let last: unknown
  for (const s of run.seconds) {
    live.add(s)
    last = live.build({ endReason: 'completed', thresholds: thresholdsOfRun(run.header) })
  }
  assert.deepEqual(last, once)
})

test('build() once a second stays cheap (a few ms; loose bound for a busy machine)', () => {
  const long = synthesizeRun({ seconds: 120, seed: 3 })
  const builder = new SummaryBuilder(long.header)
  for (const s of long.seconds) builder.add(s)
  const started = performance.now()
  for (let i = 0; i < 10; i++)
    builder.build({ endReason: 'completed', thresholds: thresholdsOfRun(long.header) })
  const perBuildMs = (performance.now() - started) / 10
  assert.ok(perBuildMs < 100, `build() took ${perBuildMs.toFixed(1)} ms`)
})

test('rebuild from series.ndjson equals the live summary; a torn last line is skipped', async () => {
  const live = build().build({
    endedAt: run.end!.endedAt,
    endReason: 'completed',
    thresholds: thresholdsOfRun(run.header),
  })
  const dir = writeRunFolder(parent, 'clean', run.text)
  const rebuilt = await rebuildSummary(dir)
  assert.deepEqual(rebuilt.summary, live)
  assert.equal(rebuilt.tornLine, undefined)
  assert.equal(rebuilt.chart.t.length, 30)

  // kill -9 in the middle of writing second 30: no end line and half a line
  const lines = run.text.trimEnd().split('\n')
  const torn = `${lines.slice(0, -2).join('\n')}\n${lines.at(-2)!.slice(0, 200)}`
  const tornDir = writeRunFolder(parent, 'torn', torn)
  const fromTorn = await rebuildSummary(tornDir)
  assert.equal(fromTorn.tornLine, 31)
  assert.equal(fromTorn.summary.endReason, 'incomplete')
  assert.equal(fromTorn.summary.durationS, 29)
  assert.deepEqual(
    fromTorn.summary,
    build(run.seconds.slice(0, 29)).build({
      endReason: 'incomplete',
      thresholds: thresholdsOfRun(run.header),
    }),
  )
  assert.equal(fromTorn.summary.endedAt, new Date(run.header.startedAtMs + 29_000).toISOString())
})

test('a series without an end line gives endReason incomplete', async () => {
  const killed = synthesizeRun({ seconds: 5, end: null })
  const rebuilt = await rebuildSummary(writeRunFolder(parent, 'killed', killed.text))
  assert.equal(rebuilt.summary.endReason, 'incomplete')
  assert.equal(rebuilt.summary.durationS, 5)
  assert.equal(rebuilt.tornLine, undefined)
})

const BROKEN: readonly (readonly [string, (text: string) => string, RegExp])[] = [
  ['an empty file', () => '', /is empty/],
  ['a torn header', (t) => t.slice(0, 40), /header line is not valid: not valid JSON/],
  ['no header line', (t) => t.split('\n').slice(1).join('\n'), /does not start with a header line/],
  [
    'an unknown schemaVersion',
    (t) => t.replace('"schemaVersion":1', '"schemaVersion":2'),
    /schemaVersion 2 is not supported/,
  ],
  [
    'a broken middle line',
    (t) => t.replace('"type":"second","t":2,', '"type":"second","t":"two",'),
    /line 4: not a series line \(t: /,
  ],
  [
    'a torn middle line',
    (t) => {
      const l = t.split('\n')
      l[2] = l[2]!.slice(0, 50)
      return l.join('\n')
    },
    /line 3: not valid JSON \(only the last line may be torn\)/,
  ],
  ['a line after the end', (t) => `${t}${t.split('\n')[1]}\n`, /a second line after the end line/],
]

for (const [name, mangle, message] of BROKEN) {
  test(`rebuild refuses ${name} with a ResultsError`, async () => {
    const dir = writeRunFolder(parent, name.replace(/\W+/g, '-'), mangle(synthesizeRun({ seconds: 4 }).text))
    await assert.rejects(rebuildSummary(dir), (error: Error & { code?: string; exitCode?: number }) => {
      assert.equal(error.code, 'CL_RESULTS')
      assert.equal(error.exitCode, 2)
      assert.match(error.message, message)
      return true
    })
  })
}

test('rebuild refuses a folder without series.ndjson', async () => {
  await assert.rejects(
    rebuildSummary(join(parent, 'nothing-here')),
    /series\.ndjson does not exist: not a checkin-load run folder/,
  )
  writeFileSync(join(parent, 'a-file'), 'x')
  await assert.rejects(rebuildSummary(join(parent, 'a-file')), /does not exist/)
})

test('generator health: lag p99 over seconds, mean CPU, trust lost after a few bad seconds', () => {
  const health = (badSeconds: number, cpu = 30) => {
    const r = synthesizeRun({
      seconds: 40,
      generator: (t) => ({
        eventLoopLagMsP99: t < badSeconds ? 40 : 2,
        cpuPct: cpu,
        rssMb: 100 + t,
        inFlight: 0,
      }),
    })
    const b = new SummaryBuilder(r.header)
    for (const s of r.seconds) b.add(s)
    return b.build({ endReason: 'completed', thresholds: [] }).generator
  }
  const healthy = health(0)
  assert.deepEqual(healthy, {
    eventLoopLagMsP99: 2,
    cpuPct: 30,
    maxRssMb: 139,
    trustworthy: true,
    warnings: [],
  })
  assert.equal(health(3).trustworthy, true, 'three bad seconds of 40 are tolerated')
  const lagging = health(10)
  assert.equal(lagging.trustworthy, false)
  assert.match(lagging.warnings[0]!, /event-loop lag p99 was over 10 ms in 10 of 40 seconds \(worst 40 ms\)/)
  assert.equal(lagging.eventLoopLagMsP99, 40) // p99 of the per-second values, at the histogram's 3 digits
  const busy = health(0, 97)
  assert.equal(busy.trustworthy, false)
  assert.match(busy.warnings[0]!, /95% or more of a core in 40 of 40 seconds/)
})

test('identical load with different drains gives the same rates: rates over the load window, the drain apart', async () => {
  const { compareSummaries } = await import('../../src/report/compare.js')
  const config = { stages: [{ durationMs: 5000, target: 1 }] }
  /** 5 s of load, then `drainSeconds` seconds where only answers come back, ending `tailMs` into the last */
  const withDrain = (drainSeconds: number, tailMs: number) => {
    const base = synthesizeRun({ seconds: 5, seed: 11, config, end: null })
    const drain = base.seconds.slice(0, drainSeconds).map((s, i) => ({
      ...s,
      t: 5 + i,
      endpoints: Object.fromEntries(
        Object.entries(s.endpoints).map(([id, e]) => [
          id,
          {
            ...e,
            asked: 0,
            dropped: 0,
            requests: 0,
            ok: 0,
            errors: {},
            status: {},
            latency: '',
            latencyFromSend: '',
            sendLag: '',
          },
        ]),
      ),
    }))
    const builder = new SummaryBuilder(base.header)
    for (const s of [...base.seconds, ...drain]) builder.add(s)
    const endedAt = new Date(base.header.startedAtMs + (4 + drainSeconds) * 1000 + tailMs).toISOString()
    return builder.build({
      endedAt,
      endReason: 'completed',
      thresholds: [parseThreshold('http_reqs: rate>1')],
    })
  }
  const quick = withDrain(1, 150)
  const slow = withDrain(3, 900)
  assert.equal(quick.loadS, 5)
  assert.equal(slow.loadS, 5)
  assert.equal(quick.drainS, 0.15)
  assert.equal(slow.drainS, 2.9)
  assert.equal(quick.durationS, 5.15)
  assert.equal(slow.durationS, 7.9)
  assert.deepEqual(quick.total.expectedRps, slow.total.expectedRps)
  assert.deepEqual(quick.total.achievedRps, slow.total.achievedRps)
  assert.equal(quick.total.expectedRps, Number((quick.total.requests / 5).toFixed(3)))
  for (const id of Object.keys(quick.endpoints)) {
    assert.equal(quick.endpoints[id]!.expectedRps, slow.endpoints[id]!.expectedRps, id)
  }
  assert.equal(
    quick.thresholds[0]!.value,
    slow.thresholds[0]!.value,
    'http_reqs rate over the load window too',
  )
  const comparison = compareSummaries(quick, slow)
  assert.equal(comparison.total.metrics.achievedRps.delta ?? 0, 0)
  assert.equal(comparison.total.metrics.delivery.delta ?? 0, 0)
  assert.match(formatSummaryTable(slow, { color: false }), /7\.9 s \(load 5 s \+ drain 2\.9 s\), ended/)
})

test('a user threshold equal to a built-in one is judged and listed once', async () => {
  const { runThresholds } = await import('../../src/report/thresholds.js')
  const endpoints = run.header.endpoints
  const specs = runThresholds(
    {
      thresholds: [
        { metric: 'dropped', conditions: ['count==0'] },
        { metric: 'http_req_duration{endpoint:post_session}', conditions: ['p(95)<3500', 'p(99)<5000'] },
      ],
    },
    endpoints,
  )
  const listed = specs.flatMap((s) => s.conditions.map((c) => `${s.metric}: ${c.text}`))
  assert.equal(listed.filter((t) => t === 'dropped: count==0').length, 1)
  assert.equal(listed.filter((t) => t === 'http_req_duration{endpoint:post_session}: p(95)<3500').length, 1)
  assert.ok(listed.includes('http_req_duration{endpoint:post_session}: p(99)<5000'))
  assert.ok(listed.includes('http_req_failed: rate<0.01'), 'the other defaults stay')
  const rebuilt = thresholdsOfRun({
    ...run.header,
    config: { ...run.header.config, thresholds: [{ metric: 'dropped', conditions: ['count==0'] }] },
  }).flatMap((s) => s.conditions.map((c) => `${s.metric}: ${c.text}`))
  assert.equal(rebuilt.filter((t) => t === 'dropped: count==0').length, 1)
})

test('a run against the time-scaled stand-in is re-judged with the built-in bounds it was judged by', () => {
  const header = { ...run.header, config: { ...run.header.config, mockTimeScale: 0.25 } }
  const listed = thresholdsOfRun(header).flatMap((s) => s.conditions.map((c) => `${s.metric}: ${c.text}`))
  assert.ok(listed.includes('http_req_duration{endpoint:post_session}: p(95)<875'), listed.join(', '))
  const against = { ...header, config: { ...header.config, target: 'http://127.0.0.1:3000' } }
  const real = thresholdsOfRun(against).flatMap((s) => s.conditions.map((c) => `${s.metric}: ${c.text}`))
  assert.ok(
    real.includes('http_req_duration{endpoint:post_session}: p(95)<3500'),
    'a real target: as written',
  )
})
