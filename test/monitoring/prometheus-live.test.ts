import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { LATENCY_BUCKETS_S } from '../../src/metrics/prometheus.js'
import { type MockServer, startMockServer } from '../../src/mock/index.js'
import type { Summary } from '../../src/model/results.js'
import { BIN } from '../helpers/cli.js'
import { allTargets, concreteExpr, readDashboard } from './dashboard.js'

/**
 * A real Prometheus (Debian's package, installed by scripts/install-system-deps.sh) scrapes a real
 * short run of `checkin-load run` and the stand-in, every second, on loopback. Then its HTTP API
 * must agree with summary.json: the request count within 2 %, and histogram_quantile(0.95) in the
 * bucket that holds the summary's exact (HDR) p95 — bucket boundaries are the limit of precision,
 * so that is the tolerance: at most the bucket's width (the buckets are x1.5 apart from 5 ms up).
 * Every query of the Grafana dashboard runs too, and must return data.
 */

const PROMETHEUS = '/usr/bin/prometheus'
const RUN_ID = 'prom-live-1'

let dir: string
let standIn: MockServer
let prometheus: ChildProcess | undefined
let prometheusLog = ''
let api: string
let summary: Summary

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function waitFor(what: string, deadlineMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + deadlineMs
  for (;;) {
    if (await probe().catch(() => false)) return
    if (Date.now() > deadline)
      assert.fail(`timed out waiting for ${what}\n--- prometheus log ---\n${prometheusLog}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

interface Sample {
  metric: Record<string, string>
  value: [number, string]
}

async function query(expr: string, time?: number): Promise<Sample[]> {
  const params = new URLSearchParams({ query: expr })
  if (time !== undefined) params.set('time', String(time))
  const res = await fetch(`${api}/api/v1/query?${params}`)
  const body = (await res.json()) as {
    status: string
    error?: string
    data: { resultType: string; result: unknown }
  }
  assert.equal(body.status, 'success', `${expr}: ${body.error}`)
  return body.data.result as Sample[]
}

async function scalar(expr: string): Promise<number> {
  const result = await query(expr)
  assert.equal(result.length, 1, `${expr}: ${JSON.stringify(result)}`)
  return Number(result[0]!.value[1])
}

/** Runs the CLI as a child process (asynchronously: the stand-in answers in this process). */
function runCli(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1' } })
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000)
    child.on('error', reject)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

async function stopPrometheus(): Promise<void> {
  const child = prometheus
  prometheus = undefined
  if (!child || child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}

// a safety net: never leave Prometheus running, whatever fails
process.on('exit', () => prometheus?.kill('SIGKILL'))

before(async () => {
  assert.ok(
    existsSync(PROMETHEUS),
    `${PROMETHEUS} is missing: install Debian's prometheus package (bash scripts/install-system-deps.sh)`,
  )
  dir = await mkdtemp(join(tmpdir(), 'checkin-load-prom-'))
  standIn = await startMockServer({ port: 0, quiet: true, closeTimeoutMs: 2_000 })
  const exporterPort = await freePort()
  const apiPort = await freePort()
  api = `http://127.0.0.1:${apiPort}`
  const standInAddress = new URL(standIn.url).host
  await writeFile(
    join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      '  - job_name: checkin-load',
      '    honor_labels: true',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${exporterPort}']`,
      '  - job_name: checkin-mock',
      '    static_configs:',
      `      - targets: ['${standInAddress}']`,
      '',
    ].join('\n'),
  )
  prometheus = spawn(PROMETHEUS, [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${apiPort}`,
    '--log.level=warn',
  ])
  prometheus.stdout!.on('data', (d) => (prometheusLog += d))
  prometheus.stderr!.on('data', (d) => (prometheusLog += d))
  await waitFor('Prometheus to be ready', 30_000, async () => (await fetch(`${api}/-/ready`)).ok)
  // Prometheus starts its scrape loops a few seconds after it is ready (target updates are
  // throttled): wait for the first scrape of the stand-in, so the run is scraped from its start
  await waitFor(
    'the first scrape',
    30_000,
    async () => (await query('up{job="checkin-mock"} == 1')).length === 1,
  )

  const out = join(dir, 'results')
  const run = await runCli([
    'run',
    '--target',
    standIn.url,
    '--duration',
    '6s',
    '--scale',
    '0.2',
    '--seed',
    '7',
    // bare calls: the totals compared here are the profile's table, which leaves preflights out
    '--traffic',
    'api',
    '--prometheus-port',
    String(exporterPort),
    '--prometheus-linger',
    '3s',
    '--quiet',
    '--out',
    out,
    '--run-id',
    RUN_ID,
  ])
  assert.equal(run.code, 0, run.output)
  assert.deepEqual(await readdir(out), [RUN_ID])
  summary = JSON.parse(await readFile(join(out, RUN_ID, 'summary.json'), 'utf8')) as Summary
})

after(async () => {
  await stopPrometheus()
  await standIn?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

test('the request count in Prometheus is summary.json total, within 2 %', async () => {
  const expected = summary.total.requests
  assert.ok(expected > 100, `a run of ${expected} requests`)
  const counted = await scalar(`sum(last_over_time(checkin_load_requests_total{run_id="${RUN_ID}"}[10m]))`)
  assert.ok(Math.abs(counted - expected) <= expected * 0.02, `Prometheus ${counted}, summary ${expected}`)
  // per endpoint too
  for (const [endpoint, stats] of Object.entries(summary.endpoints)) {
    const n = await scalar(
      `sum(last_over_time(checkin_load_requests_total{run_id="${RUN_ID}", endpoint="${endpoint}"}[10m]))`,
    )
    assert.ok(
      Math.abs(n - stats.requests) <= Math.max(2, stats.requests * 0.02),
      `${endpoint}: ${n} vs ${stats.requests}`,
    )
  }
})

test('histogram_quantile(0.95) lies in the bucket of the exact p95', async () => {
  const p95 = summary.total.latencyMs.p95 / 1000
  const estimate = await scalar(
    `histogram_quantile(0.95, sum by (le) (last_over_time(checkin_load_request_duration_seconds_bucket{run_id="${RUN_ID}"}[10m])))`,
  )
  // the bucket holding p95 (HDR's 0.1 % may put a value on either side of a boundary)
  const upper = LATENCY_BUCKETS_S.find((b) => b >= p95 * 1.001) ?? Number.POSITIVE_INFINITY
  const lower = [...LATENCY_BUCKETS_S].reverse().find((b) => b < p95 * 0.999) ?? 0
  const error = ((estimate - p95) / p95) * 100
  console.log(
    `# p95: summary ${(p95 * 1000).toFixed(2)} ms, Prometheus ${(estimate * 1000).toFixed(2)} ms (${error.toFixed(1)} %), bucket ${lower}-${upper} s`,
  )
  assert.ok(
    estimate >= lower && estimate <= upper,
    `estimate ${estimate} s outside the bucket ${lower}..${upper} s of p95 ${p95} s`,
  )
})

test('the stand-in was scraped too: its requests and server-side latency', async () => {
  const served = await scalar('sum(last_over_time(checkin_mock_requests_total[10m]))')
  // the run's requests, plus its warm-up's few
  assert.ok(served >= summary.total.requests, `stand-in ${served}, generator ${summary.total.requests}`)
  const serverP95 = await scalar(
    'histogram_quantile(0.95, sum by (le) (last_over_time(checkin_mock_request_duration_seconds_bucket[10m])))',
  )
  assert.ok(serverP95 > 0 && serverP95 < 30, String(serverP95))
  assert.ok((await scalar('max(last_over_time(checkin_mock_pool_workers[10m]))')) > 0)
})

test('every query of the Grafana dashboard runs and returns data', async () => {
  // the generator's samples: its last scrape (in the linger, thresholds set) and the middle of the run
  const samples = (await fetchRange(`checkin_load_run_info{run_id="${RUN_ID}"}[10m]`)).map(([t]) => t)
  assert.ok(samples.length >= 6, `${samples.length} scrapes of the generator`)
  const last = samples[samples.length - 1]!
  const middle = samples[Math.floor(samples.length / 2)]!
  const ids = new Set<string>()
  for (const { panel, expr } of allTargets(readDashboard())) {
    const concrete = concreteExpr(expr, { runId: RUN_ID, rateInterval: '5s' })
    const results = [...(await query(concrete, middle)), ...(await query(concrete, last))]
    // a healthy run has no errors: that panel may be empty
    if (!expr.includes('checkin_load_errors_total'))
      assert.ok(results.length > 0, `${panel}: no data for ${concrete}`)
    for (const r of results) if (r.metric.endpoint) ids.add(r.metric.endpoint)
  }
  assert.deepEqual([...ids].sort(), Object.keys(summary.endpoints).sort())
  // thresholds: one gauge per threshold of summary.json, 1 for passed
  const verdicts = await query(`checkin_load_threshold_ok{run_id="${RUN_ID}"}`, last)
  assert.equal(verdicts.length, summary.thresholds.length)
  for (const v of verdicts) assert.equal(v.value[1], '1', v.metric.threshold)
})

/** The raw samples of a range selector: [[time, value], …]. */
async function fetchRange(selector: string): Promise<Array<[number, string]>> {
  const res = await fetch(`${api}/api/v1/query?${new URLSearchParams({ query: selector })}`)
  const body = (await res.json()) as { data: { result: Array<{ values: Array<[number, string]> }> } }
  assert.equal(body.data.result.length, 1, JSON.stringify(body))
  return body.data.result[0]!.values
}
