import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseThreshold } from '../config/thresholds.js'
import type { ThresholdResult } from '../model/results.js'
import {
  assessGenerator,
  DELIVERY_FLOOR,
  deliveryFloor,
  type GeneratorSecond,
  judgeStep,
  type SendLagMs,
  suspectSecondsAllowed,
} from './judge.js'
import { capacitySlos, timeScaledSlos } from './slo.js'

const calm: GeneratorSecond = { eventLoopLagMsP99: 1.2, cpuPct: 30, sendLagMsP99: 0.4 }
const lagging: GeneratorSecond = { eventLoopLagMsP99: 42, cpuPct: 70, sendLagMsP99: 40 }
const busy: GeneratorSecond = { eventLoopLagMsP99: 2, cpuPct: 99, sendLagMsP99: 1 }
const tardy: GeneratorSecond = { eventLoopLagMsP99: 3, cpuPct: 60, sendLagMsP99: 80 }

for (const [n, allowed] of [
  [1, 1],
  [3, 1],
  [7, 1],
  [8, 2],
  [30, 7],
] as const) {
  test(`suspectSecondsAllowed(${n}) = ${allowed}`, () => assert.equal(suspectSecondsAllowed(n), allowed))
}

for (const [name, seconds, waited, saturated, isLate, warning] of [
  ['calm seconds', [calm, calm, calm], 0, false, false, undefined],
  ['one hiccup of the shared machine', [calm, lagging, calm], 0, false, false, undefined],
  [
    'a lagging event loop',
    [lagging, lagging, calm],
    0,
    false,
    true,
    /event-loop lag p99 over 10 ms in 2 of 3 s \(worst 42 ms\)/,
  ],
  ['a saturated core', [busy, busy, busy, calm], 0, true, false, /CPU at 95% of a core or more in 3 of 4 s/],
  [
    'late sends with connections free',
    [tardy, tardy, calm],
    0,
    false,
    true,
    /with connections free in 2 of 3 s/,
  ],
  // late sends behind busy connections are the target's backlog, not the generator's delay
  ['late sends behind busy connections', [tardy, tardy, calm], 12, false, false, undefined],
] as const) {
  test(`assessGenerator: ${name}`, () => {
    const a = assessGenerator(seconds, waited)
    assert.equal(a.saturated, saturated)
    assert.equal(a.late, isLate)
    if (warning) assert.match(a.warnings.join('; '), warning)
    else assert.deepEqual(a.warnings, [])
  })
}

const result = (metric: string, expr: string, value: number | null, ok: boolean): ThresholdResult => ({
  metric,
  expr,
  value,
  ok,
})

const NO_LAG: SendLagMs = { p50: 0.1, p90: 0.3, p95: 0.5, p99: 1, p999: 3, max: 8, mean: 0.2 }
/** a generator stalled most of the time: most requests leave tens of ms late */
const STALLED: SendLagMs = { p50: 12, p90: 25, p95: 28, p99: 30, p999: 31, max: 33, mean: 14 }
const healthy = assessGenerator([calm, calm, calm], 0)
const lagged = assessGenerator([lagging, lagging, lagging], 0)

test('judgeStep: all SLOs held and a healthy generator pass', () => {
  const j = judgeStep([result('http_req_duration', 'p(95)<500', 20, true)], new Map(), healthy, NO_LAG)
  assert.equal(j.result, 'pass')
  assert.deepEqual(j.failures, [])
})

test('judgeStep: the SLO that failed earliest in the window broke first, with its endpoint', () => {
  const j = judgeStep(
    [
      result('http_req_duration{endpoint:get_session}', 'p(95)<6000', 9000, false),
      result('http_req_duration{endpoint:get_pre_check_in}', 'p(95)<1000', 1500, false),
      result('dropped', 'count==0', 0, true),
      result('http_req_failed', 'rate<0.01', 0.2, false),
    ],
    new Map([
      ['http_req_duration{endpoint:get_session} p(95)<6000', 4],
      ['http_req_duration{endpoint:get_pre_check_in} p(95)<1000', 2],
      ['http_req_failed rate<0.01', 9],
    ]),
    healthy,
    NO_LAG,
  )
  assert.equal(j.result, 'fail')
  assert.deepEqual(
    j.failures.map((f) => [f.endpoint, f.expr, f.firstFailedS]),
    [
      ['get_pre_check_in', 'p(95)<1000', 2],
      ['get_session', 'p(95)<6000', 4],
      [undefined, 'rate<0.01', 9],
    ],
  )
})

test('judgeStep: failures of the same second are ordered by how far past their bound they are', () => {
  const j = judgeStep(
    [
      result('http_req_duration{endpoint:a}', 'p(95)<100', 150, false),
      result('http_req_duration{endpoint:b}', 'p(95)<100', 400, false),
    ],
    new Map([
      ['http_req_duration{endpoint:a} p(95)<100', 1],
      ['http_req_duration{endpoint:b} p(95)<100', 1],
    ]),
    healthy,
    NO_LAG,
  )
  assert.deepEqual(
    j.failures.map((f) => f.endpoint),
    ['b', 'a'],
  )
})

test('judgeStep: a generator at its ceiling (CPU) makes the step untrusted, passing or failing', () => {
  const saturated = assessGenerator([busy, busy, busy], 0)
  for (const ok of [true, false]) {
    const j = judgeStep([result('dropped', 'count==0', ok ? 0 : 5, ok)], new Map(), saturated, NO_LAG)
    assert.equal(j.result, 'untrusted')
    assert.match(j.untrustedBecause ?? '', /ceiling: CPU at 95%/)
  }
})

test('judgeStep: a late generator cannot make a target pass, so a pass stands', () => {
  const j = judgeStep([result('http_req_duration', 'p(95)<100', 60, true)], new Map(), lagged, STALLED)
  assert.equal(j.result, 'pass')
})

for (const [name, results, expected] of [
  // p95 35 ms; the generator's delay at p95 is up to 2 x 28 ms: 35 - 56 < 20, it may be all the generator's
  ['a latency failure the delay explains', [result('http_req_duration', 'p(95)<20', 35, false)], 'untrusted'],
  // p95 300 ms is far over 100 + 56 ms: the target's
  ['a latency failure beyond the delay', [result('http_req_duration', 'p(95)<100', 300, false)], 'fail'],
  // the target losing requests is not the generator's doing
  ['an error rate', [result('http_req_failed', 'rate<0.01', 0.3, false)], 'fail'],
  // one failure beyond doubt is enough
  [
    'one failure beyond doubt among doubtful ones',
    [result('http_req_duration', 'p(95)<20', 35, false), result('dropped', 'count==0', 12, false)],
    'fail',
  ],
  // the generator's own send lag and throughput are its own
  ['its own send lag', [result('send_lag', 'p(99)<10', 30, false)], 'untrusted'],
] as const) {
  test(`judgeStep with a late generator: ${name} -> ${expected}`, () => {
    const j = judgeStep(results, new Map(), lagged, STALLED)
    assert.equal(j.result, expected, JSON.stringify(j.failures))
    if (expected === 'untrusted') assert.match(j.untrustedBecause ?? '', /generator's own delay can explain/)
  })
}

test('judgeStep: the delay is twice the send lag at the percentile, at most twice the loop lag', () => {
  // the send lag includes waits for a connection (the target's backlog): the loop lag bounds it
  const behindConnections = assessGenerator([lagging, lagging, lagging], 5)
  const [failure] = judgeStep(
    [result('http_req_duration', 'p(99)<100', 250, false)],
    new Map(),
    behindConnections,
    {
      ...STALLED,
      p99: 5000,
    },
  ).failures
  assert.equal(failure!.generatorDelayMs, 84) // 2 x 42 ms of loop lag, not 2 x 5 s
  assert.equal(failure!.beyondDoubt, true)
  const [p95] = judgeStep(
    [result('http_req_duration', 'p(95)<100', 150, false)],
    new Map(),
    lagged,
    STALLED,
  ).failures
  assert.equal(p95!.generatorDelayMs, 56) // 2 x 28 ms of send lag at p95
  assert.equal(p95!.beyondDoubt, false)
})

test('timeScaledSlos multiplies latency bounds by the time scale, and nothing else', () => {
  const specs = [
    parseThreshold('http_req_duration{endpoint:post_session}: p(95)<3500, avg<2000'),
    parseThreshold('http_req_duration_from_send: p(99)<10000'),
    parseThreshold('http_req_failed: rate<0.01'),
    parseThreshold('dropped: count==0'),
    parseThreshold('send_lag: p(99)<50'),
  ]
  const scaled = timeScaledSlos(specs, 0.1)
  assert.deepEqual(
    scaled.flatMap((s) => s.conditions.map((c) => `${s.metric}: ${c.text}`)),
    [
      'http_req_duration{endpoint:post_session}: p(95)<350',
      'http_req_duration{endpoint:post_session}: avg<200',
      'http_req_duration_from_send: p(99)<1000',
      'http_req_failed: rate<0.01',
      'dropped: count==0',
      'send_lag: p(99)<50',
    ],
  )
  assert.equal(scaled[0]!.conditions[0]!.bound, 350)
  assert.deepEqual(timeScaledSlos(specs, 1), specs)
})

test('capacitySlos: the SLOs given, then the built-in set for the profile’s endpoints', () => {
  const specs = capacitySlos(
    { thresholds: [{ metric: 'http_req_duration', conditions: ['p(95)<500'] }], defaultSlos: true },
    ['get_session', 'post_session'],
  )
  assert.deepEqual(
    specs.map((s) => s.metric),
    [
      'http_req_duration',
      'http_req_duration{endpoint:get_session}',
      'http_req_duration{endpoint:post_session}',
      'http_req_duration',
      'http_req_failed',
      'dropped',
    ],
  )
  assert.equal(
    capacitySlos({ thresholds: [{ metric: 'dropped', conditions: ['count==0'] }], defaultSlos: false }, [])
      .length,
    1,
  )
  assert.throws(() => capacitySlos({ defaultSlos: false }, ['x']), /nothing to judge the steps by/)
})

test('a step that delivers 93.5 % of its intended rate is saturated, whatever its latency (the issue: held at 0.620x)', () => {
  const noLag: SendLagMs = { p50: 0.1, p90: 0.2, p95: 0.2, p99: 0.4, p999: 1, max: 2, mean: 0.1 }
  const held: ThresholdResult[] = [
    { metric: 'http_req_duration{endpoint:get_pre_check_in}', expr: 'p(95)<250', value: 240, ok: true },
  ]
  const generator = assessGenerator([calm, calm, calm, calm, calm], 0)
  const delivery = { intendedRps: 496.9, achievedRps: 464.8, holdS: 5 }
  const judged = judgeStep(held, new Map(), generator, noLag, delivery)
  assert.equal(judged.result, 'fail')
  assert.deepEqual(
    judged.failures.map((f) => [f.metric, f.expr, f.value, f.beyondDoubt]),
    [['delivery', `achieved/intended>=${DELIVERY_FLOOR}`, 0.9354, true]],
  )
  // at the floor it holds; the asked count (later steps of visits waiting on answers) plays no part
  assert.equal(judgeStep(held, new Map(), generator, noLag, { ...delivery, achievedRps: 482 }).result, 'pass')
  // a generator late in 2 of 5 s (42 ms stalls) cannot explain 6.5 % of 5 s: still the target's
  const late = assessGenerator([lagging, lagging, calm, calm, calm], 0)
  assert.equal(late.late, true)
  assert.equal(judgeStep(held, new Map(), late, noLag, delivery).result, 'fail')
  // stalled in most seconds, it may have held back any share: untrusted
  const stalled = assessGenerator([lagging, lagging, lagging, calm, calm], 0)
  assert.equal(judgeStep(held, new Map(), stalled, noLag, delivery).result, 'untrusted')
  // but it can explain a shortfall of 2 % over 1 s: untrusted, not failed
  const short = { intendedRps: 100, achievedRps: 95, holdS: 1 }
  assert.equal(judgeStep(held, new Map(), late, noLag, short).result, 'untrusted')
})

test('Poisson arrivals lower the delivery floor by their own noise (3 sigma of the visits in the hold)', () => {
  assert.equal(deliveryFloor({ intendedRps: 500, achievedRps: 0, holdS: 5 }), DELIVERY_FLOOR)
  // 125 visits/s x 5 s = 625 visits: 3 / 25 = 12 %
  assert.equal(
    deliveryFloor({ intendedRps: 500, achievedRps: 0, holdS: 5, visitsPerS: 125, arrival: 'poisson' }),
    0.88,
  )
  assert.equal(
    deliveryFloor({ intendedRps: 500, achievedRps: 0, holdS: 600, visitsPerS: 125, arrival: 'poisson' }),
    DELIVERY_FLOOR,
  )
})

test('capacitySlos: an SLO on an endpoint the steps do not send is refused before any step', () => {
  assert.throws(
    () =>
      capacitySlos(
        { thresholds: [{ metric: 'http_req_duration{endpoint:post_sesion}', conditions: ['p(95)<500'] }] },
        ['get_session', 'post_session'],
      ),
    {
      code: 'CL_CONFIG',
      message: /endpoint "post_sesion", which the steps do not send: known: get_session, post_session/,
    },
  )
})
