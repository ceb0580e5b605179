import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { pauseCoolDown } from '../../src/capacity/cooldown.js'
import { searchCapacity } from '../../src/capacity/driver.js'
import { parseThreshold } from '../../src/config/thresholds.js'
import { type LimitedServer, oneRequestProfile, startLimitedServer } from './servers.js'

/**
 * The search against a target of known capacity: 20 workers x 100 ms each = at most 200 req/s.
 * The profile asks 50 req/s at 1x, so the knee is at 4x. The SLO (p95 under 3 x the service time)
 * leaves 200 ms for queueing: well above what a busy shared machine adds, well below what a
 * growing backlog adds within a step. Steps are short (1 s warm-up, 2 s judged), so the capacity
 * is asserted within ±15 %.
 */
const WORKERS = 20
const SERVICE_MS = 100
const PROFILE_RPS = 50

let server: LimitedServer

before(async () => {
  server = await startLimitedServer(WORKERS, SERVICE_MS)
})

after(async () => {
  await server.close()
})

test('finds the capacity of a 20 x 100 ms server (200 req/s) within 15 %', async (t) => {
  const lines: string[] = []
  const result = await searchCapacity({
    target: server.url,
    profile: oneRequestProfile(PROFILE_RPS),
    settings: { start: 2.2, factor: 1.5, precision: 0.1, maxShare: 20, minShare: 0.5 },
    stepS: 2,
    warmupS: 1,
    maxDurationMs: 120_000,
    thresholds: [
      parseThreshold('http_req_duration: p(95)<300'),
      parseThreshold('http_req_failed: rate<0.01'),
      parseThreshold('dropped: count==0'),
    ],
    coolDown: pauseCoolDown(300),
    seed: 7,
    timeoutMs: 10_000,
    onStep: (s) =>
      lines.push(
        `step ${s.index} ${s.share}x ${s.result}: asked ${s.measurement.total.askedRps}/s, p95 ${s.measurement.total.p95Ms} ms, loop lag ${s.judgment.generator.eventLoopLagMsP99} ms`,
      ),
  })
  const report = `${lines.join('\n')}\n${JSON.stringify(result.verdict)}`
  for (const line of report.split('\n')) t.diagnostic(line)
  assert.equal(result.verdict.kind, 'found', report)
  if (result.verdict.kind !== 'found') return
  const capacity = server.capacityRps / PROFILE_RPS
  assert.ok(
    Math.abs(result.verdict.held / capacity - 1) <= 0.15,
    `held ${result.verdict.held}x, capacity ${capacity}x`,
  )
  assert.ok(result.verdict.failed > result.verdict.held, report)
  assert.ok((result.verdict.failed - result.verdict.held) / result.verdict.held < 0.1, report)
  // the first step that failed was over the capacity: the search walked the ramp, then bisected
  const phases = result.steps.map((s) => s.phase)
  assert.deepEqual(phases.slice(0, 3), ['ramp', 'ramp', 'ramp'], report)
  assert.ok(
    phases.slice(3).every((p) => p === 'bisect'),
    report,
  )
  for (const step of result.steps) {
    // each step is a fresh measurement of its own share: constant arrivals deliver it exactly
    const expected = step.share * PROFILE_RPS
    assert.equal(step.measurement.holdSeconds, 2, `step ${step.index}`)
    assert.ok(
      Math.abs(step.measurement.total.askedRps - expected) <= 1,
      `step ${step.index}: asked ${step.measurement.total.askedRps}/s of ${expected}/s`,
    )
    assert.equal(
      step.measurement.warmupS,
      step.index === 1 ? 4 : 1,
      'the first step warms the target up longer',
    )
  }
  // the server really queued past its capacity (the knee is the server's, not the generator's)
  assert.ok(server.maxQueued() > WORKERS, `at most ${server.maxQueued()} queued`)
})
