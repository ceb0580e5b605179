import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { isCheckinLoadError } from '../errors.js'
import { ERROR_KINDS } from '../model/error-kinds.js'
import type { SeriesSecond } from '../model/results.js'
import {
  LATENCY_BUCKETS_S,
  PrometheusMetrics,
  promLabelsFromTags,
  SEND_LAG_BUCKETS_S,
  safeTarget,
} from './prometheus.js'
import { PrometheusExporter } from './prometheus-server.js'
import { Recorder } from './recorder.js'

const ENDPOINTS = ['get_session', 'post_session']
const METHODS = { get_session: 'GET', post_session: 'POST' }

interface SyntheticEndpoint {
  /** latencies from the intended time (ms) of answered requests */
  latenciesMs?: number[]
  status?: number
  /** transport failures of this kind */
  failed?: Array<[kind: string, count: number]>
  dropped?: number
  /** send lag of each answered request (ms) */
  lagMs?: number
}

/** One real SeriesSecond line, made by the engine's own Recorder. */
function syntheticSecond(t: number, spec: Record<string, SyntheticEndpoint>, inFlight = 3): SeriesSecond {
  const recorder = new Recorder(ENDPOINTS)
  for (const [id, e] of Object.entries(spec)) {
    const index = ENDPOINTS.indexOf(id)
    const status = e.status ?? 200
    const kind =
      status >= 500 ? ERROR_KINDS.indexOf('http_5xx') : status >= 400 ? ERROR_KINDS.indexOf('http_4xx') : -1
    for (const ms of e.latenciesMs ?? []) {
      const lag = e.lagMs ?? 0.2
      recorder.sent(index, 0, lag)
      recorder.response(index, status, kind, 0, lag, ms)
    }
    for (const [k, count] of e.failed ?? [])
      for (let i = 0; i < count; i++) {
        recorder.sent(index, 0, 0)
        recorder.failed(index, ERROR_KINDS.indexOf(k as (typeof ERROR_KINDS)[number]))
      }
    for (let i = 0; i < (e.dropped ?? 0); i++) recorder.dropped(index)
  }
  return recorder.fold(t, 0.5, { eventLoopLagMsP99: 2.5, cpuPct: 42, rssMb: 128, inFlight })
}

/** Parses exposition text into `name{labels}` → value (labels sorted, so lookups are stable). */
function parseExposition(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    assert.ok(match, `not an exposition line: ${line}`)
    const labels = [...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)]
      .map(([, k, v]) => `${k}=${v}`)
      .sort()
    out.set(`${match[1]}{${labels.join(',')}}`, Number(match[3]))
  }
  return out
}

function get(samples: Map<string, number>, name: string, labels: Record<string, string>): number | undefined {
  const all = { run_id: 'run-1', shard: '0', ...labels }
  const key = Object.entries(all)
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join(',')
  return samples.get(`${name}{${key}}`)
}

const latencies1 = Array.from({ length: 200 }, (_, i) => 1 + i * 2.5) // 1 .. 498.5 ms
const latencies2 = [3, 3, 3, 40, 900, 4_000, 12_000]

function twoSeconds(): SeriesSecond[] {
  return [
    syntheticSecond(0, {
      get_session: { latenciesMs: latencies1 },
      post_session: { latenciesMs: [20, 30], failed: [['timeout', 2]], dropped: 1 },
    }),
    syntheticSecond(
      1,
      {
        get_session: { latenciesMs: latencies2 },
        post_session: { latenciesMs: [50], status: 503, failed: [['reset', 1]] },
      },
      7,
    ),
  ]
}

test('counters add every second; gauges keep the last; constant labels on every series', async () => {
  const metrics = new PrometheusMetrics({
    runId: 'run-1',
    endpoints: ENDPOINTS,
    methods: METHODS,
    target: 'http://127.0.0.1:3000',
    labels: { env: 'staging' },
  })
  for (const second of twoSeconds())
    metrics.onSecond(second, { expectedRps: { get_session: 12.5, post_session: 12.5 } })
  const text = await metrics.metrics()
  const s = parseExposition(text)
  const env = { env: 'staging' }
  const at = (name: string, labels: Record<string, string> = {}) => get(s, name, { ...env, ...labels })

  assert.equal(
    at('checkin_load_requests_total', { endpoint: 'get_session', method: 'GET', status: '200' }),
    207,
  )
  assert.equal(
    at('checkin_load_requests_total', { endpoint: 'post_session', method: 'POST', status: '200' }),
    2,
  )
  assert.equal(
    at('checkin_load_requests_total', { endpoint: 'post_session', method: 'POST', status: '503' }),
    1,
  )
  assert.equal(
    at('checkin_load_requests_total', { endpoint: 'post_session', method: 'POST', status: 'timeout' }),
    2,
  )
  assert.equal(
    at('checkin_load_requests_total', { endpoint: 'post_session', method: 'POST', status: 'reset' }),
    1,
  )
  assert.equal(at('checkin_load_errors_total', { endpoint: 'post_session', kind: 'timeout' }), 2)
  assert.equal(at('checkin_load_errors_total', { endpoint: 'post_session', kind: 'http_5xx' }), 1)
  assert.equal(at('checkin_load_dropped_total', { endpoint: 'post_session' }), 1)
  assert.equal(at('checkin_load_dropped_total', { endpoint: 'get_session' }), 0)
  assert.equal(at('checkin_load_asked_total', { endpoint: 'post_session' }), 7)
  assert.equal(at('checkin_load_asked_rps', { endpoint: 'get_session' }), 12.5)
  assert.equal(at('checkin_load_achieved_rps', { endpoint: 'get_session' }), 7)
  assert.equal(at('checkin_load_in_flight'), 7)
  assert.equal(at('checkin_load_share'), 0.5)
  assert.equal(at('checkin_load_event_loop_lag_p99_seconds'), 0.0025)
  assert.equal(at('checkin_load_cpu_ratio'), 0.42)
  assert.equal(at('checkin_load_rss_bytes'), 128 * 1_048_576)
  assert.equal(at('checkin_load_run_info', { target: 'http://127.0.0.1:3000', shards: '1' }), 1)
  // every sample line carries run_id and shard
  for (const line of text.split('\n'))
    if (line !== '' && !line.startsWith('#'))
      assert.match(line, /run_id="run-1".*shard="0"|shard="0".*run_id="run-1"/)
})

test('latency histograms: exact bucket counts, +Inf = count, sum to HDR precision', async () => {
  const metrics = new PrometheusMetrics({ runId: 'run-1', endpoints: ENDPOINTS, methods: METHODS })
  for (const second of twoSeconds()) metrics.onSecond(second, { expectedRps: {} })
  const s = parseExposition(await metrics.metrics())
  const all = [...latencies1, ...latencies2]
  const labels = { endpoint: 'get_session', method: 'GET' }
  for (const le of LATENCY_BUCKETS_S) {
    const expected = all.filter((ms) => ms <= le * 1000).length
    assert.equal(
      get(s, 'checkin_load_request_duration_seconds_bucket', { ...labels, le: String(le) }),
      expected,
      `le=${le}`,
    )
  }
  assert.equal(get(s, 'checkin_load_request_duration_seconds_bucket', { ...labels, le: '+Inf' }), all.length)
  assert.equal(get(s, 'checkin_load_request_duration_seconds_count', labels), all.length)
  const sum = get(s, 'checkin_load_request_duration_seconds_sum', labels)!
  const exact = all.reduce((a, b) => a + b, 0) / 1000
  assert.ok(Math.abs(sum - exact) / exact < 0.001, `sum ${sum} vs ${exact}`)
  // the 503 answer is in the latency histogram too (answers, whatever their status)
  assert.equal(
    get(s, 'checkin_load_request_duration_seconds_count', { endpoint: 'post_session', method: 'POST' }),
    3,
  )
  // from-send: latency minus 0.2 ms of lag; send lag: one bucket
  assert.equal(get(s, 'checkin_load_request_duration_from_send_seconds_count', labels), all.length)
  assert.equal(
    get(s, 'checkin_load_send_lag_seconds_bucket', { endpoint: 'get_session', le: '0.00025' }),
    all.length,
  )
  assert.equal(get(s, 'checkin_load_send_lag_seconds_bucket', { endpoint: 'get_session', le: '0.0001' }), 0)
  assert.equal(
    SEND_LAG_BUCKETS_S.length + 1,
    [...s.keys()].filter((k) => k.startsWith('checkin_load_send_lag_seconds_bucket{endpoint=get_session'))
      .length,
  )
})

test('histogram series exist from the start (rate() needs the zero)', async () => {
  const metrics = new PrometheusMetrics({ runId: 'run-1', endpoints: ENDPOINTS, methods: METHODS })
  const s = parseExposition(await metrics.metrics())
  assert.equal(
    get(s, 'checkin_load_request_duration_seconds_count', { endpoint: 'post_session', method: 'POST' }),
    0,
  )
  assert.equal(get(s, 'checkin_load_dropped_total', { endpoint: 'get_session' }), 0)
})

test('threshold verdicts as 1/0 gauges; a later evaluation replaces the earlier', async () => {
  const metrics = new PrometheusMetrics({
    runId: 'run-1',
    shard: { index: 2, count: 4 },
    endpoints: [],
    methods: {},
  })
  metrics.onThresholds([
    { metric: 'http_req_duration{endpoint:post_session}', expr: 'p(95)<500', value: 20, ok: true },
    { metric: 'http_req_failed', expr: 'rate<0.01', value: 0.2, ok: false },
  ])
  metrics.onThresholds([{ metric: 'http_req_failed', expr: 'rate<0.01', value: 0, ok: true }])
  const s = parseExposition(await metrics.metrics())
  const shard = { shard: '2' }
  assert.equal(get(s, 'checkin_load_threshold_ok', { ...shard, threshold: 'http_req_failed rate<0.01' }), 1)
  assert.equal(
    get(s, 'checkin_load_threshold_ok', {
      ...shard,
      threshold: 'http_req_duration{endpoint:post_session} p(95)<500',
    }),
    undefined,
  )
  assert.equal(get(s, 'checkin_load_run_info', { ...shard, target: '', shards: '4' }), 1)
})

test('the user scale (run --web) as a gauge: 1 until changed, 0 while paused', async () => {
  const metrics = new PrometheusMetrics({ runId: 'run-1', endpoints: [], methods: {} })
  const at = async () => get(parseExposition(await metrics.metrics()), 'checkin_load_user_scale', {})
  assert.equal(await at(), 1)
  metrics.onUserScale(1.75)
  assert.equal(await at(), 1.75)
  metrics.onUserScale(0)
  assert.equal(await at(), 0)
})

for (const [target, label] of [
  ['http://127.0.0.1:3000', 'http://127.0.0.1:3000'],
  ['https://user:secret@staging-api.va.gov/base/?key=abc', 'https://staging-api.va.gov/base/'],
  [undefined, ''],
  ['not a url', ''],
] as const)
  test(`safeTarget(${target})`, () => assert.equal(safeTarget(target), label))

const TAG_TABLE: Array<[string[], Record<string, string>]> = [
  [['env:staging'], { env: 'staging' }],
  [['canary'], { canary: 'true' }],
  [['team-name:check in', 'region:us:east'], { team_name: 'check in', region: 'us:east' }],
  [['1st:a'], { _1st: 'a' }],
  [[], {}],
]
for (const [tags, labels] of TAG_TABLE)
  test(`promLabelsFromTags(${JSON.stringify(tags)})`, () =>
    assert.deepEqual(promLabelsFromTags(tags), labels))

for (const tags of [['run_id:x'], ['endpoint:y'], ['env:a', 'env:b'], [':x'], ['__name__:x']])
  test(`promLabelsFromTags refuses ${JSON.stringify(tags)}`, () =>
    assert.throws(
      () => promLabelsFromTags(tags),
      (e: unknown) => isCheckinLoadError(e) && e.exitCode === 2,
    ))

test('the server: GET /metrics on the bound port, 404 elsewhere, lingers then stops', async () => {
  const exporter = await PrometheusExporter.start({
    host: '127.0.0.1',
    port: 0,
    lingerMs: 300,
    runId: 'run-1',
    endpoints: ENDPOINTS,
    methods: METHODS,
  })
  try {
    assert.match(exporter.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
    assert.doesNotMatch(exporter.url, /:0\//)
    exporter.onSecond(twoSeconds()[0]!, { expectedRps: {} })
    const res = await fetch(exporter.url)
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
    assert.match(
      await res.text(),
      /checkin_load_requests_total\{endpoint="get_session",method="GET",status="200"/,
    )
    const base = exporter.url.replace('/metrics', '')
    for (const [path, method] of [
      ['/', 'GET'],
      ['/metricsx', 'GET'],
      ['/metrics', 'POST'],
    ] as const) {
      const other = await fetch(base + path, { method })
      assert.equal(other.status, 404, `${method} ${path}`)
      await other.text()
    }
    const started = Date.now()
    const closing = exporter.close()
    // still served while lingering
    const during = await fetch(exporter.url)
    assert.equal(during.status, 200)
    await during.text()
    await closing
    assert.ok(Date.now() - started >= 250, 'closed before its linger')
    await assert.rejects(fetch(exporter.url))
    await exporter.close() // idempotent
  } finally {
    await exporter.close({ linger: false })
  }
})

test('a port in use is a usage error that names the flag', async () => {
  const blocker = createServer()
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
  const { port } = blocker.address() as AddressInfo
  try {
    await assert.rejects(
      PrometheusExporter.start({
        host: '127.0.0.1',
        port,
        lingerMs: 0,
        runId: 'r',
        endpoints: [],
        methods: {},
      }),
      (e: unknown) => isCheckinLoadError(e) && e.exitCode === 2 && /--prometheus-port/.test(e.message),
    )
  } finally {
    await new Promise((resolve) => blocker.close(resolve))
  }
})
