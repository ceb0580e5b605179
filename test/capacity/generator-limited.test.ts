import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { searchCapacity } from '../../src/capacity/driver.js'
import { checkinVisitData } from '../../src/checkin/index.js'
import { parseThreshold } from '../../src/config/thresholds.js'
import { type MockProcess, startMockProcess } from '../../src/mock/index.js'
import { checkinProfile } from '../../src/profile/index.js'

/**
 * A search where the generator is the bottleneck must say so, not report a capacity. The target is
 * the `fast` stand-in in its own process (answers in a few ms, 100,000 workers); the generator's
 * process is made the bottleneck by a busy loop that holds its event loop 100 ms out of every 110.
 * Latencies then include up to a few hundred ms of the generator's own delay, and a p95 bound of
 * 100 ms fails: a failure the generator's delay explains (or a generator at its CPU ceiling), so
 * the step is untrusted and the search stops there. Without the busy loop the same step holds:
 * the target is fine (the fast stand-in answers in a few ms; 100 ms leaves room for a busy machine).
 */
let mock: MockProcess

before(async () => {
  mock = await startMockProcess({ preset: 'fast', seed: 3 })
})

after(async () => {
  await mock.stop()
})

const search = () =>
  searchCapacity({
    target: mock.url,
    profile: checkinProfile(),
    data: checkinVisitData(),
    // one step at 0.5x of the profile (100 req/s): max-scale = start
    settings: { start: 0.5, factor: 1.5, precision: 0.05, maxShare: 0.5, minShare: 0.1 },
    stepS: 2,
    warmupS: 1,
    firstWarmupS: 1,
    maxDurationMs: 60_000,
    thresholds: [
      parseThreshold('http_req_duration: p(95)<100'),
      parseThreshold('http_req_failed: rate<0.01'),
      parseThreshold('dropped: count==0'),
    ],
    seed: 11,
    timeoutMs: 5000,
  })

test('the target holds the step when the generator has room', async (t) => {
  const result = await search()
  const step = result.steps[0]!
  t.diagnostic(
    `${step.result}: p95 ${step.measurement.total.p95Ms} ms, loop lag ${step.judgment.generator.eventLoopLagMsP99} ms`,
  )
  assert.equal(result.steps.length, 1)
  assert.equal(step.result, 'pass', JSON.stringify(step.judgment))
  assert.deepEqual(result.verdict, { kind: 'above_max', held: 0.5 })
})

test('a busy generator is reported as the bottleneck, not as a capacity of the target', async (t) => {
  // the busy loop: 100 ms of every 110 ms, for the whole search
  const hog = setInterval(() => {
    const until = performance.now() + 100
    while (performance.now() < until) {
      // the generator's event loop is held here
    }
  }, 10)
  let result: Awaited<ReturnType<typeof search>>
  try {
    result = await search()
  } finally {
    clearInterval(hog)
  }
  const step = result.steps[0]!
  t.diagnostic(
    `${step.result}: p95 ${step.measurement.total.p95Ms} ms, loop lag ${step.judgment.generator.eventLoopLagMsP99} ms, ` +
      `send lag p95 ${step.measurement.sendLagMs.p95} ms; ${step.judgment.untrustedBecause}`,
  )
  assert.equal(result.steps.length, 1, 'the search stopped at the first untrusted step')
  assert.equal(step.result, 'untrusted')
  assert.equal(result.verdict.kind, 'generator_limited')
  assert.deepEqual(result.verdict, { kind: 'generator_limited', share: 0.5 }, 'no capacity is claimed')
  assert.ok(step.judgment.generator.late || step.judgment.generator.saturated)
  assert.ok(step.judgment.generator.eventLoopLagMsP99 > 10, 'its event loop lagged')
  assert.match(step.judgment.untrustedBecause ?? '', /generator/)
  // the target itself was fine: no errors, nothing dropped
  assert.equal(step.measurement.total.errors, 0)
  assert.equal(step.measurement.total.dropped, 0)
})
