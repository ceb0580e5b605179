import assert from 'node:assert/strict'
import { test } from 'node:test'
import { capacityChartData, renderCapacityReport } from '../../src/capacity/html.js'
import { buildVerdict, type CapacityFile, loadAtShare, stepRecord } from '../../src/capacity/result.js'
import { fakeSearch, PRE_CHECK_IN_SLOW } from './fixtures.js'

const PROFILE = {
  totalRps: 200,
  endpoints: [
    { endpoint: 'get_session', rps: 100 },
    { endpoint: 'post_session', rps: 100 },
  ],
}

const TWIN_SEARCH = fakeSearch(
  [
    { share: 0.3375, result: 'pass' },
    { share: 0.5063, result: 'pass' },
    { share: 0.7594, result: 'fail', failures: [PRE_CHECK_IN_SLOW] },
    { share: 0.6201, result: 'fail', phase: 'bisect', failures: [PRE_CHECK_IN_SLOW] },
    { share: 0.5603, result: 'pass', phase: 'bisect' },
    { share: 0.5894, result: 'fail', phase: 'bisect', failures: [PRE_CHECK_IN_SLOW] },
    { share: 0.5747, result: 'pass', phase: 'bisect' },
  ],
  { kind: 'found', held: 0.5747, failed: 0.5894 },
)

test('loadAtShare: the profile times the share, per endpoint and in total', () => {
  assert.deepEqual(loadAtShare(PROFILE, 0.5), {
    share: 0.5,
    totalRps: 100,
    totalRpm: 6000,
    endpoints: { get_session: { rpm: 3000, rps: 50 }, post_session: { rpm: 3000, rps: 50 } },
  })
})

test('buildVerdict: found -> held and first failed shares, the SLO that broke first and where', () => {
  const v = buildVerdict(TWIN_SEARCH, PROFILE)
  assert.equal(v.kind, 'found')
  assert.equal(v.held?.share, 0.5747)
  assert.equal(v.held?.totalRps, 114.94)
  assert.equal(v.failed?.share, 0.5894)
  assert.equal(v.failed?.brokeFirst?.endpoint, 'get_pre_check_in')
  assert.equal(v.oneXHeld, false)
  assert.match(
    v.message,
    /^Capacity: held 0.5747x of the profile \(114\.9 req\/s, 6,896\.4 rpm\); failed at 0.5894x \(117\.9 req\/s\); http_req_duration\{endpoint:get_pre_check_in\} p\(95\)<250 \(measured 900 ms\) broke first, at get_pre_check_in\./,
  )
})

test('buildVerdict: 1x held when a step at 1x or above held below every failure', () => {
  const v = buildVerdict(
    fakeSearch(
      [
        { share: 1, result: 'pass' },
        { share: 1.5, result: 'fail', failures: [PRE_CHECK_IN_SLOW] },
        { share: 1.225, result: 'pass', phase: 'bisect' },
      ],
      { kind: 'time_limit', held: 1.225, failed: 1.5 },
    ),
    PROFILE,
    { maxDurationS: 60 },
  )
  assert.equal(v.oneXHeld, true)
  assert.match(v.message, /^The time limit \(60 s\) came before the precision: held 1.225x/)
})

test('buildVerdict: generator-limited claims no capacity beyond what trusted steps showed', () => {
  const v = buildVerdict(
    fakeSearch(
      [
        { share: 0.1, result: 'pass' },
        { share: 0.15, result: 'untrusted', failures: [{ ...PRE_CHECK_IN_SLOW, value: 260 }] },
      ],
      { kind: 'generator_limited', share: 0.15, held: 0.1 },
    ),
    PROFILE,
  )
  assert.equal(v.kind, 'generator_limited')
  assert.equal(v.held?.share, 0.1)
  assert.equal(v.failed, undefined, 'the untrusted step is no failure of the target')
  assert.equal(v.generatorLimited?.share, 0.15)
  assert.match(
    v.message,
    /^The generator, not the target, was the bottleneck at 0.15x: every broken SLO is within/,
  )
  assert.match(v.message, /a lower bound of the target's capacity/)
  assert.equal(v.oneXHeld, false)
})

test('buildVerdict: above max-scale and below min-scale', () => {
  const above = buildVerdict(
    fakeSearch([{ share: 10, result: 'pass' }], { kind: 'above_max', held: 10 }),
    PROFILE,
  )
  assert.equal(above.oneXHeld, true)
  assert.match(above.message, /held the highest share tried, 10x \(2,000 req\/s\)/)
  const below = buildVerdict(
    fakeSearch([{ share: 0.01, result: 'fail', failures: [PRE_CHECK_IN_SLOW] }], {
      kind: 'below_min',
      failed: 0.01,
    }),
    PROFILE,
  )
  assert.equal(below.oneXHeld, false)
  assert.match(below.message, /failed even at the lowest share tried/)
})

function capacityFile(): CapacityFile {
  const steps = TWIN_SEARCH.steps.map((s) => stepRecord(s, s.share * 200, `steps/0${s.index}/series.ndjson`))
  return {
    schemaVersion: 1,
    kind: 'capacity',
    runId: 'fixture',
    target: 'http://127.0.0.1:3000',
    embedded: { preset: 'staging-2022', workers: 240, timeScale: 1 },
    startedAt: '2026-11-27T10:00:00.000Z',
    endedAt: '2026-11-27T10:03:00.000Z',
    durationS: 180,
    profile: {
      name: 'vets-api-checkin',
      scale: 1,
      timeScale: 1,
      totalRps: 200,
      totalRpm: 12_000,
      endpoints: { get_session: { rpm: 6000, rps: 100 }, post_session: { rpm: 6000, rps: 100 } },
    },
    settings: {
      start: 0.3375,
      factor: 1.5,
      precision: 0.05,
      maxScale: 10,
      minScale: 0.03375,
      stepDurationS: 10,
      warmupS: 3,
      maxDurationS: 1800,
      coolDown: 'until idle',
      arrival: 'constant',
      seed: 1,
    },
    slos: [
      { metric: 'http_req_duration{endpoint:get_pre_check_in}', expr: 'p(95)<250', judgedExpr: 'p(95)<250' },
    ],
    prediction: { preset: 'staging-2022', workers: 240, busyWorkersAt1x: 410.9, saturationShare: 0.584 },
    steps,
    verdict: buildVerdict(TWIN_SEARCH, PROFILE),
    exitCode: 99,
  }
}

test('capacityChartData: judged steps by asked rate, the knee and the prediction as rates', () => {
  const data = capacityChartData(capacityFile())
  assert.deepEqual(data.share, [0.3375, 0.5063, 0.5603, 0.5747, 0.5894, 0.6201, 0.7594])
  assert.deepEqual(data.result, ['pass', 'pass', 'pass', 'pass', 'fail', 'fail', 'fail'])
  assert.ok(
    data.asked.every((x, i) => i === 0 || x > data.asked[i - 1]!),
    'ascending x for uPlot',
  )
  assert.equal(data.heldRps, 0.5747 * 200)
  assert.equal(data.failedRps, 0.5894 * 200)
  assert.equal(Number(data.predictedRps?.toFixed(6)), 116.8)
  // the knee chart first shows the endpoint whose SLO broke first (the fixture's steps have no
  // such endpoint: then all endpoints)
  assert.equal(data.focus, 'total')
  assert.deepEqual(Object.keys(data.latency), ['total', 'get_session', 'post_session'])
  assert.equal(data.latency.get_session!.p95.length, 7)
})

test('renderCapacityReport: one self-contained page with the verdict, steps and charts', () => {
  const html = renderCapacityReport(capacityFile())
  assert.match(html, /<span class="badge fail" id="verdict">1x DID NOT HOLD<\/span>/)
  assert.match(html, /id="chart-knee"/)
  assert.equal((html.match(/<tr class="(pass|fail|untrusted)" data-step=/g) ?? []).length, 7)
  assert.match(html, /Little&#39;s law knee/)
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|<img[^>]+src=/i)
})

test('renderCapacityReport: text from the run is escaped, never markup', () => {
  const file = capacityFile()
  const html = renderCapacityReport({ ...file, target: '<script>alert(1)</script>' })
  assert.doesNotMatch(html, /<script>alert/)
  assert.match(html, /&#60;script&#62;alert\(1\)&#60;\/script&#62;/)
})
