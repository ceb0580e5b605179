import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { ShardFleet } from '../../src/cluster/fleet.js'
import { resolveRunConfig } from '../../src/config/load.js'
import type { SeriesSecond } from '../../src/model/results.js'

/**
 * The fleet's side of `run --workers`, with fake workers: tiny scripts that speak the IPC protocol
 * (ready, start, seconds, end, totals) in milliseconds, so the fleet's handshake, merging, stop,
 * dead and hung workers are tested fast and exactly. The real workers are tested end to end in
 * workers*.test.ts.
 */
const dir = mkdtempSync(join(tmpdir(), 'checkin-load-fleet-'))
after(() => rmSync(dir, { recursive: true, force: true }))

// worker i: FAKE_MODE_<i> = ok (default) | die (exit 3 after second 1) | hang (never ready);
// FAKE_SECONDS seconds, 30 ms apart, each with i + 1 requests of get_session
const FAKE = join(dir, 'fake-worker.mjs')
writeFileSync(
  FAKE,
  `const args = process.argv
const [index] = args[args.indexOf('--shard') + 1].split('/').map(Number)
const mode = process.env['FAKE_MODE_' + index] ?? 'ok'
const seconds = Number(process.env.FAKE_SECONDS ?? 3)
let stopped = false
const interval = (n) => ({ asked: n, requests: n, ok: n, dropped: 0, errors: {}, status: { 200: n }, latency: '', latencyFromSend: '', sendLag: '' })
process.on('message', async (m) => {
  if (m.type === 'stop' || m.type === 'abort') stopped = true
  if (m.type !== 'start') return
  process.send({ type: 'header', header: {} })
  let t = 0
  for (; t < seconds && !stopped; t++) {
    await new Promise((r) => setTimeout(r, 30))
    process.send({ type: 'second', second: { type: 'second', t, share: 1, endpoints: { get_session: interval(index + 1) },
      generator: { eventLoopLagMsP99: index, cpuPct: 10, rssMb: 50, inFlight: 0 } } })
    if (mode === 'die' && t === 1) process.exit(3)
  }
  process.send({ type: 'end', end: { type: 'end', endedAt: new Date().toISOString(), reason: stopped ? 'interrupted' : 'completed', abandonedInFlight: 0 } })
  const totals = { arrivals: t, droppedArrivals: 0, connections: 1, waitedForConnection: 0, abandonedInFlight: 0, stopped, aborted: false }
  process.send({ type: 'totals', totals, runDir: 'x' }, () => process.disconnect())
})
if (mode !== 'hang') process.send({ type: 'ready' })
else setInterval(() => {}, 1000)
`,
)

const config = resolveRunConfig({
  flags: { target: 'http://127.0.0.1:1', durationMs: 1000, timeoutMs: 200, seed: 1 },
})

let runs = 0
function fleet(env: Record<string, string>, extra: { readyTimeoutMs?: number } = {}) {
  Object.assign(process.env, { FAKE_SECONDS: '3', ...env })
  const seconds: SeriesSecond[] = []
  const warnings: string[] = []
  const starts: number[] = []
  const f = new ShardFleet({
    workers: 2,
    config,
    target: config.target!,
    runId: 'fake',
    runDir: join(dir, `run-${runs++}`),
    seed: 1,
    plannedMs: 100,
    binPath: FAKE,
    watchdogSlackMs: 300,
    hooks: { onStart: (ms) => starts.push(ms), onSecond: (s) => seconds.push(s) },
    onWarning: (m) => warnings.push(m),
    ...extra,
  })
  const cleanup = () => {
    for (const name of Object.keys(env)) delete process.env[name]
  }
  return { f, seconds, warnings, starts, cleanup }
}

const requests = (seconds: readonly SeriesSecond[]) => seconds.map((s) => s.endpoints.get_session!.requests)

test('ready, one shared start, each second merged once both reported it', async () => {
  const { f, seconds, warnings, starts, cleanup } = fleet({})
  const launched = Date.now()
  const result = await f.run().finally(cleanup)
  assert.equal(starts.length, 1)
  assert.ok(starts[0]! >= launched)
  assert.equal(result.startedAtMs, starts[0])
  assert.deepEqual(
    seconds.map((s) => s.t),
    [0, 1, 2],
  )
  assert.deepEqual(requests(seconds), [3, 3, 3], 'worker 0 sends 1, worker 1 sends 2 a second')
  assert.equal(seconds[0]!.generator.eventLoopLagMsP99, 1, 'the worst worker')
  assert.deepEqual(result.failures, [])
  assert.deepEqual(warnings, [])
  assert.equal(result.arrivals, 6, "the workers' totals add")
  assert.equal(result.connections, 2)
  assert.equal(result.stopped, false)
})

test('a worker that dies is reported; the other one’s seconds all arrive', async () => {
  const { f, seconds, warnings, cleanup } = fleet({ FAKE_MODE_1: 'die' })
  const result = await f.run().finally(cleanup)
  assert.equal(result.failures.length, 1)
  assert.match(
    result.failures[0]!,
    /^worker 1 \(shard 1\/2\) exited \(code 3\) at second 2; its seconds up to there are in the results/,
  )
  assert.deepEqual(warnings, result.failures)
  assert.deepEqual(requests(seconds), [3, 3, 1])
})

test('stop() reaches every worker; the run ends early', async () => {
  const { f, seconds, cleanup } = fleet({ FAKE_SECONDS: '1000' })
  const running = f.run()
  // stop as soon as the first merged second is out
  for (let i = 0; i < 200 && seconds.length === 0; i++) await new Promise((r) => setTimeout(r, 10))
  f.stop()
  assert.equal(f.draining, true)
  const result = await running.finally(cleanup)
  assert.equal(result.stopped, true)
  assert.deepEqual(result.failures, [])
  assert.ok(seconds.length < 100, `${seconds.length} seconds`)
})

test('a worker that never gets ready: the others start without it; it is killed in the end', async () => {
  const { f, seconds, warnings, cleanup } = fleet({ FAKE_MODE_1: 'hang' }, { readyTimeoutMs: 3000 })
  const result = await f.run().finally(cleanup)
  assert.ok(
    warnings.some((w) => /worker\(s\) 1 not ready after 3 s: starting without waiting/.test(w)),
    String(warnings),
  )
  assert.ok(
    warnings.some((w) => /worker 1 did not end in time: killed/.test(w)),
    String(warnings),
  )
  assert.match(result.failures[0]!, /worker 1 \(shard 1\/2\) exited \(SIGKILL\) before its first second/)
  assert.deepEqual(requests(seconds), [1, 1, 1])
})
