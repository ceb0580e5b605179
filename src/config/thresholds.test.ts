import assert from 'node:assert/strict'
import { test } from 'node:test'
import { compare, parseThreshold, thresholdSpecs } from './thresholds.js'

const VALID: readonly (readonly [string, string, string | undefined, readonly string[]])[] = [
  // text, metric, endpoint, normalized conditions
  ['http_req_duration: p(95)<500', 'http_req_duration', undefined, ['p(95)<500']],
  [
    'http_req_duration{endpoint:post_session}: p(95)<500',
    'http_req_duration{endpoint:post_session}',
    'post_session',
    ['p(95)<500'],
  ],
  [
    '  http_req_duration { endpoint : get_session } :  p( 99.9 ) <= 1500 , avg<200 ',
    'http_req_duration{endpoint:get_session}',
    'get_session',
    ['p(99.9)<=1500', 'avg<200'],
  ],
  [
    'http_req_duration: med<10, min>=0, max<30000',
    'http_req_duration',
    undefined,
    ['med<10', 'min>=0', 'max<30000'],
  ],
  ['http_req_duration_from_send: p(50)<5', 'http_req_duration_from_send', undefined, ['p(50)<5']],
  ['http_req_failed: rate<0.01', 'http_req_failed', undefined, ['rate<0.01']],
  [
    'http_req_failed{endpoint:post_pre_check_in}: rate==0',
    'http_req_failed{endpoint:post_pre_check_in}',
    'post_pre_check_in',
    ['rate==0'],
  ],
  ['http_reqs: count>100, rate>=199.5', 'http_reqs', undefined, ['count>100', 'rate>=199.5']],
  ['dropped: count==0', 'dropped', undefined, ['count==0']],
  ['dropped: rate!=1', 'dropped', undefined, ['rate!=1']],
  ['send_lag: p(99)<5, max<50', 'send_lag', undefined, ['p(99)<5', 'max<50']],
  ['http_req_duration: p(100)<-1', 'http_req_duration', undefined, ['p(100)<-1']],
]

for (const [text, metric, endpoint, conditions] of VALID) {
  test(`parseThreshold(${JSON.stringify(text)})`, () => {
    const spec = parseThreshold(text)
    assert.equal(spec.metric, metric)
    assert.equal(spec.endpoint, endpoint)
    assert.deepEqual(
      spec.conditions.map((c) => c.text),
      conditions,
    )
    assert.equal(spec.abortOnFail, false)
  })
}

test('a condition is parsed into aggregation, operator and bound', () => {
  const [c] = parseThreshold('http_req_duration: p(95) <= 500.5').conditions
  assert.deepEqual(c, {
    text: 'p(95)<=500.5',
    aggregation: { kind: 'percentile', p: 95 },
    op: '<=',
    bound: 500.5,
  })
})

const INVALID: readonly (readonly [string, RegExp])[] = [
  ['garbage', /expected METRIC: CONDITION/],
  ['p95<500', /expected METRIC: CONDITION/],
  ['http_req_duration', /expected METRIC: CONDITION/],
  ['http_req_duration:', /a condition is empty/],
  ['http_req_duration: p(95)<500,', /a condition is empty/],
  ['http_req_durations: p(95)<500', /unknown metric "http_req_durations"/],
  ['http_req_duration{flow:check_in}: p(95)<500', /unknown tag "flow"/],
  ['http_req_duration{endpoint}: p(95)<500', /must be one \{endpoint:ID\}/],
  ['http_req_duration{endpoint:a,endpoint:b}: p(95)<500', /must be one \{endpoint:ID\}/],
  ['http_req_duration{endpoint:post_session: p(95)<500', /expected METRIC: CONDITION/],
  ['http_req_duration: p95<500', /unknown aggregation "p95"/],
  ['http_req_duration: p(0)<500', /p\(0\) must be over 0/],
  ['http_req_duration: p(101)<500', /p\(101\) must be over 0 and at most 100/],
  ['http_req_duration: p(95)=500', /is not AGGREGATION OPERATOR NUMBER/],
  ['http_req_duration: p(95)<500ms', /is not AGGREGATION OPERATOR NUMBER/],
  ['http_req_duration: p(95)<', /is not AGGREGATION OPERATOR NUMBER/],
  ['http_req_duration: rate<0.01', /http_req_duration takes p\(N\), avg, min, max, med, not rate/],
  ['http_req_failed: p(95)<0.01', /http_req_failed takes rate, not p\(95\)/],
  ['dropped: avg<1', /dropped takes count, rate, not avg/],
  ['http_reqs: max<1', /http_reqs takes count, rate, not max/],
]

for (const [text, message] of INVALID) {
  test(`parseThreshold(${JSON.stringify(text)}) throws a ConfigError`, () => {
    assert.throws(
      () => parseThreshold(text, '--threshold'),
      (error: Error & { code?: string; exitCode?: number }) => {
        assert.equal(error.code, 'CL_CONFIG')
        assert.equal(error.exitCode, 2)
        assert.match(error.message, message)
        assert.match(
          error.message,
          new RegExp(`^invalid --threshold "${text.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`),
        )
        assert.match(error.message, /like 'http_req_duration\{endpoint:post_session\}: p\(95\)<500'$/)
        return true
      },
    )
  })
}

test('thresholdSpecs turns RunConfig entries into specs, keeping abortOnFail and its delay', () => {
  const specs = thresholdSpecs([
    {
      metric: 'http_req_duration{endpoint:post_session}',
      conditions: ['p(95)<500', 'p(99)<900'],
      abortOnFail: true,
      delayAbortEvalMs: 20_000,
    },
    { metric: 'http_req_failed', conditions: ['rate<0.01'] },
  ])
  assert.equal(specs.length, 2)
  assert.equal(specs[0]!.abortOnFail, true)
  assert.equal(specs[0]!.delayAbortEvalMs, 20_000)
  assert.deepEqual(
    specs[0]!.conditions.map((c) => c.text),
    ['p(95)<500', 'p(99)<900'],
  )
  assert.equal(specs[1]!.abortOnFail, false)
  assert.equal(specs[1]!.delayAbortEvalMs, 10_000)
  assert.throws(
    () => thresholdSpecs([{ metric: 'latency', conditions: ['p(95)<1'] }]),
    /unknown metric "latency"/,
  )
})

const COMPARISONS: readonly (readonly [number, '<' | '<=' | '>' | '>=' | '==' | '!=', number, boolean])[] = [
  [1, '<', 2, true],
  [2, '<', 2, false],
  [2, '<=', 2, true],
  [3, '>', 2, true],
  [2, '>', 2, false],
  [2, '>=', 2, true],
  [0, '==', 0, true],
  [1, '==', 0, false],
  [1, '!=', 0, true],
  [0, '!=', 0, false],
]
for (const [value, op, bound, expected] of COMPARISONS) {
  test(`compare(${value} ${op} ${bound}) = ${expected}`, () =>
    assert.equal(compare(value, op, bound), expected))
}
