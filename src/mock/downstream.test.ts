import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type DownstreamCall, type MockPreset, PRESETS } from '../model/downstream.js'
import { CHIP_TOKEN_TTL_MS, DownstreamSimulator, type FaultStatus } from './downstream.js'
import { SeededRandom } from './random.js'

function simulator(
  opts: { errorRate?: number; timeScale?: number; faultStatuses?: FaultStatus[]; preset?: MockPreset } = {},
) {
  let t = 1_000_000
  const sim = new DownstreamSimulator({
    preset: opts.preset ?? PRESETS['staging-2022'],
    timeScale: opts.timeScale ?? 1,
    errorRate: opts.errorRate ?? 0,
    faultStatuses: opts.faultStatuses ?? [500],
    random: new SeededRandom(1),
    now: () => t,
  })
  return { sim, advance: (ms: number) => (t += ms) }
}

const count = (sim: DownstreamSimulator, call: DownstreamCall, outcome: string) =>
  sim.callCounts().find((c) => c.call === call && c.outcome === outcome)?.count ?? 0

test('a chain waits the sum of its delays, time-scaled', () => {
  const { sim, advance } = simulator({ timeScale: 0.1 })
  sim.plan(['chip_token']) // warm the token cache, usable once its call returned
  advance(20)
  const plan = sim.plan(['lorota_data', 'chip_set_e_check_in_started'])
  assert.equal(plan.delayMs, (200 + 2000) * 0.1)
  assert.deepEqual(plan.calls, ['lorota_data', 'chip_set_e_check_in_started'])
  assert.equal(plan.failedCall, undefined)
})

test('a cold CHIP token cache adds chip_token before the first CHIP call; warm for 14 minutes', () => {
  const { sim, advance } = simulator()
  const cold = sim.plan(['lorota_token', 'chip_set_precheckin_started'])
  assert.deepEqual(cold.calls, ['lorota_token', 'chip_token', 'chip_set_precheckin_started'])
  assert.equal(cold.delayMs, 200 + 200 + 2000)
  // the token is usable once its call returned (200 ms after lorota_token's 200 ms)
  advance(399)
  assert.equal(sim.chipTokenWarm(), false)
  advance(1)
  assert.equal(sim.chipTokenWarm(), true)
  assert.deepEqual(sim.plan(['chip_check_in']).calls, ['chip_check_in'])
  advance(CHIP_TOKEN_TTL_MS - 1)
  assert.deepEqual(sim.plan(['chip_check_in']).calls, ['chip_check_in'])
  advance(1)
  assert.deepEqual(sim.plan(['chip_check_in']).calls, ['chip_token', 'chip_check_in'])
  assert.equal(count(sim, 'chip_token', 'ok'), 2)
})

test('LoROTA-only chains never fetch the CHIP token', () => {
  const { sim } = simulator()
  assert.deepEqual(sim.plan(['lorota_token']).calls, ['lorota_token'])
  assert.equal(sim.chipTokenWarm(), false)
})

test('an empty chain costs nothing', () => {
  const { sim } = simulator({ errorRate: 1 })
  assert.deepEqual(sim.plan([]), { delayMs: 0, calls: [], failedCall: undefined, faultStatus: undefined })
})

test('error rate 1: the first call fails, the chain stops there, its delay is still paid', () => {
  const { sim } = simulator({ errorRate: 1, faultStatuses: [404] })
  const plan = sim.plan(['lorota_data', 'chip_set_e_check_in_started'])
  assert.equal(plan.failedCall, 'lorota_data')
  assert.equal(plan.faultStatus, 404)
  assert.deepEqual(plan.calls, ['lorota_data'])
  assert.equal(plan.delayMs, 200)
  assert.equal(count(sim, 'lorota_data', 'error'), 1)
  assert.equal(count(sim, 'chip_set_e_check_in_started', 'error'), 0)
})

test('swallowed failures end the chain as a success (set-precheckin-started), not its CHIP token failing', () => {
  const { sim } = simulator({ errorRate: 1 })
  // lorota_token fails first: not swallowed
  assert.equal(
    sim.plan(['lorota_token', 'chip_set_precheckin_started'], { swallowFrom: 1 }).failedCall,
    'lorota_token',
  )
  const plan = new DownstreamSimulator({
    preset: PRESETS['staging-2022'],
    timeScale: 1,
    errorRate: 0.5,
    faultStatuses: [500],
    random: new SeededRandom(5),
    now: () => 0,
  })
  // over many draws, a failure of the swallowed call never reports a failed call; the cold CHIP
  // token's does (V2::Chip::Service#token sits outside the client's rescue)
  let failedLorota = 0
  let failedToken = 0
  for (let i = 0; i < 200; i++) {
    const p = plan.plan(['lorota_token', 'chip_set_precheckin_started'], { swallowFrom: 1 })
    if (p.failedCall === 'lorota_token') failedLorota++
    else if (p.failedCall === 'chip_token') failedToken++
    else assert.equal(p.failedCall, undefined)
  }
  assert.ok(failedLorota > 50 && failedLorota < 150, `${failedLorota} of 200 failed at lorota_token`)
  assert.equal(failedToken, count(plan, 'chip_token', 'error'))
  assert.ok(failedToken > 0, 'the cold token failed at least once')
  assert.ok(count(plan, 'chip_set_precheckin_started', 'error') > 0)
})

test('the denied call is counted as denied (a LoROTA 401), not as ok', () => {
  const { sim } = simulator()
  const plan = sim.plan(['lorota_token'], { deniedCall: 'lorota_token' })
  assert.equal(plan.failedCall, undefined)
  assert.equal(count(sim, 'lorota_token', 'denied'), 1)
  assert.equal(count(sim, 'lorota_token', 'ok'), 0)
})

test('fault statuses are drawn from the configured set', () => {
  const { sim } = simulator({ errorRate: 1, faultStatuses: [404, 504] })
  const seen = new Set<number>()
  for (let i = 0; i < 100; i++) seen.add(sim.plan(['chip_check_in']).faultStatus!)
  assert.deepEqual([...seen].sort(), [404, 504])
})

test('error rate r fails about r of the calls', () => {
  const { sim, advance } = simulator({ errorRate: 0.2, faultStatuses: [500] })
  while (!sim.chipTokenWarm()) {
    sim.plan(['chip_token'])
    advance(1000)
  }
  let failed = 0
  const n = 5000
  for (let i = 0; i < n; i++) if (sim.plan(['chip_check_in']).failedCall) failed++
  assert.ok(Math.abs(failed / n - 0.2) < 0.03, `${failed / n}`)
})

test('lognormal delays: mean near the preset mean, scaled by the time scale', () => {
  const base = PRESETS.fast
  const preset: MockPreset = {
    ...base,
    delays: { ...base.delays, lorota_data: { kind: 'lognormal', meanMs: 100, p99Ms: 400 } },
  }
  const { sim } = simulator({ preset, timeScale: 0.5 })
  const n = 50_000
  let sum = 0
  for (let i = 0; i < n; i++) sum += sim.sampleDelayMs('lorota_data')
  assert.ok(Math.abs(sum / n - 50) < 2, `mean ${sum / n}`)
  const { sim: zero } = simulator({ preset, timeScale: 0 })
  assert.equal(zero.sampleDelayMs('lorota_data'), 0)
})
