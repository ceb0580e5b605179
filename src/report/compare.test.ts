import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { EndpointSummary, Summary } from '../model/results.js'
import { compareEndpoint, compareSummaries, formatComparison, REASON_LABELS } from './compare.js'

const stats = (p95: number, p99 = p95 * 1.5) => ({
  min: 1,
  p50: p95 / 2,
  p90: p95 * 0.9,
  p95,
  p99,
  max: p99 * 2,
  mean: p95 / 2,
})

function endpoint(o: {
  p95?: number
  p99?: number
  requests?: number
  errors?: number
  dropped?: number
  expectedRps?: number
  achievedRps?: number
}): EndpointSummary {
  const requests = o.requests ?? 1000
  const errors = o.errors ?? 0
  return {
    requests,
    ok: requests - errors,
    dropped: o.dropped ?? 0,
    errors: errors > 0 ? { http_5xx: errors } : {},
    status: {},
    expectedRps: o.expectedRps ?? 10,
    achievedRps: o.achievedRps ?? 10,
    latencyMs: stats(o.p95 ?? 100, o.p99),
    latencyFromSendMs: stats(o.p95 ?? 100, o.p99),
    sendLagMs: stats(0.1),
    histogram: 'x',
    histogramFromSend: 'x',
    histogramSendLag: 'x',
  }
}

const D = { base: 100, new: 100 } // 100 s runs: 10 req/s -> 1000 asked

// [name, base, new, verdict, the metric that decides]
const CASES: readonly (readonly [string, EndpointSummary, EndpointSummary, string, string | undefined])[] = [
  ['same numbers', endpoint({}), endpoint({}), 'no_significant_change', undefined],
  [
    'p95 +9% (under 10%)',
    endpoint({ p95: 100, p99: 150 }),
    endpoint({ p95: 109, p99: 150 }),
    'no_significant_change',
    undefined,
  ],
  [
    'p95 +11% and +11 ms',
    endpoint({ p95: 100, p99: 150 }),
    endpoint({ p95: 111, p99: 150 }),
    'regression',
    'p95Ms',
  ],
  [
    'p95 +50% but only +2 ms',
    endpoint({ p95: 4, p99: 150 }),
    endpoint({ p95: 6, p99: 150 }),
    'no_significant_change',
    undefined,
  ],
  [
    'p95 -20% and -20 ms',
    endpoint({ p95: 100, p99: 150 }),
    endpoint({ p95: 80, p99: 150 }),
    'improvement',
    'p95Ms',
  ],
  [
    'p99 +25% and +37.5 ms',
    endpoint({ p95: 100, p99: 150 }),
    endpoint({ p95: 100, p99: 187.5 }),
    'regression',
    'p99Ms',
  ],
  [
    'p99 +15% (under 20%)',
    endpoint({ p95: 100, p99: 150 }),
    endpoint({ p95: 100, p99: 172 }),
    'no_significant_change',
    undefined,
  ],
  ['errors +0.4 pp', endpoint({}), endpoint({ errors: 4 }), 'no_significant_change', undefined],
  ['errors +0.6 pp', endpoint({}), endpoint({ errors: 6 }), 'regression', 'errorRate'],
  ['errors -1 pp', endpoint({ errors: 10 }), endpoint({}), 'improvement', 'errorRate'],
  ['dropped +1 pp', endpoint({}), endpoint({ dropped: 10 }), 'regression', 'droppedRate'],
  ['delivery -6 pp', endpoint({}), endpoint({ achievedRps: 9.4 }), 'regression', 'delivery'],
  ['delivery -4 pp', endpoint({}), endpoint({ achievedRps: 9.6 }), 'no_significant_change', undefined],
  [
    'better p95, worse errors: regression wins',
    endpoint({ p95: 100 }),
    endpoint({ p95: 50, errors: 20 }),
    'regression',
    'errorRate',
  ],
]

for (const [name, base, next, verdict, decisive] of CASES) {
  test(`compareEndpoint: ${name} -> ${verdict}`, () => {
    const c = compareEndpoint(base, next, D)
    assert.equal(c.verdict, verdict)
    if (decisive)
      assert.ok(
        c.reasons.some((r) => r.startsWith(REASON_LABELS[decisive as keyof typeof REASON_LABELS])),
        c.reasons.join('; '),
      )
    else assert.deepEqual(c.reasons, [])
  })
}

test('compareEndpoint: deltas and relative changes', () => {
  const c = compareEndpoint(endpoint({ p95: 100, errors: 10 }), endpoint({ p95: 130, errors: 25 }), D)
  assert.deepEqual(c.metrics.p95Ms, { base: 100, new: 130, delta: 30, relative: 0.3, change: 'worse' })
  assert.deepEqual(c.metrics.errorRate, {
    base: 0.01,
    new: 0.025,
    delta: 0.015,
    relative: 1.5,
    change: 'worse',
  })
  assert.equal(c.reasons[0], 'latency p95 worse: 100 -> 130 ms (+30%)')
  assert.ok(c.reasons.includes('error rate worse: 1% -> 2.5% (+1.5 pp)'))
})

function summary(runId: string, endpoints: Record<string, EndpointSummary>, expectedRps = 10): Summary {
  return {
    schemaVersion: 1,
    runId,
    target: 'http://127.0.0.1:3000',
    startedAt: '2026-11-26T22:00:00.000Z',
    endedAt: '2026-11-26T22:01:40.000Z',
    durationS: 100,
    endReason: 'completed',
    config: {},
    profile: {},
    endpoints,
    total: endpoint({ expectedRps }),
    generator: { eventLoopLagMsP99: 1, cpuPct: 20, maxRssMb: 90, trustworthy: true, warnings: [] },
    thresholds: [],
    passed: true,
  }
}

test('compareSummaries: the overall verdict, endpoints in one run only, load mismatch noted', () => {
  const base = summary('a', { get_session: endpoint({}), post_session: endpoint({}), old_one: endpoint({}) })
  const next = summary(
    'b',
    { get_session: endpoint({ p95: 200 }), post_session: endpoint({ p95: 50 }), new_one: endpoint({}) },
    20,
  )
  const c = compareSummaries(base, next)
  assert.equal(c.verdict, 'regression')
  assert.deepEqual(Object.fromEntries(Object.entries(c.endpoints).map(([id, e]) => [id, e.verdict])), {
    get_session: 'regression',
    post_session: 'improvement',
    old_one: 'not_compared',
    new_one: 'not_compared',
  })
  assert.deepEqual(c.notes, [
    'the runs asked for different loads (10 vs 20 req/s): compare like with like',
    'old_one is only in BASE',
    'new_one is only in NEW',
  ])
  const improved = compareSummaries(
    base,
    summary('c', { get_session: endpoint({ p95: 50 }), post_session: endpoint({}), old_one: endpoint({}) }),
  )
  assert.equal(improved.verdict, 'improvement')
  const text = formatComparison(c, { color: false })
  assert.match(text, /^get_session\s+achieved req\/s\s+10\s+10\s+±0%/m)
  assert.match(text, /^\s+p95 ms\s+100\s+200\s+\+100%\s+worse$/m)
  assert.match(text, /Overall: REGRESSION/)
  // every column has a name; the reasons speak words, not JSON keys
  assert.match(text, /^endpoint\s+metric\s+BASE\s+NEW\s+change\s+judged$/m)
  assert.match(text, /get_session: REGRESSION \(latency p95 worse: 100 -> 200 ms \(\+100%\);/)
  assert.doesNotMatch(text, /p95Ms/)
})

test('compareSummaries: says when a run ended early and when the targets differ', () => {
  const base = summary('a', { get_session: endpoint({}) })
  const next = {
    ...summary('b', { get_session: endpoint({}) }),
    target: 'http://127.0.0.1:4000',
    endReason: 'interrupted' as const,
    durationS: 42.5,
    loadS: 40,
    drainS: 2.5,
  }
  const c = compareSummaries(base, next)
  assert.deepEqual(c.notes, [
    'NEW did not run as planned (ended early: interrupted): its numbers cover 42.5 s (load 40 s + drain 2.5 s)',
    'the runs loaded different targets (BASE http://127.0.0.1:3000, NEW http://127.0.0.1:4000)',
  ])
  assert.deepEqual(compareSummaries(base, summary('c', { get_session: endpoint({}) })).notes, [])
})
