import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeHistogram, encodeHistogram, newHistogram, recordUs } from '../model/histogram.js'
import type { IntervalStats, SeriesHeader, SeriesSecond } from '../model/results.js'
import { mergeHeaders, mergeIntervals, mergeSeconds, missingShards, secondOffset } from './merge-series.js'

function interval(values: number[], extra: Partial<IntervalStats> = {}): IntervalStats {
  const h = newHistogram()
  for (const v of values) recordUs(h, v)
  const encoded = encodeHistogram(h)
  return {
    asked: values.length,
    requests: values.length,
    ok: values.length,
    dropped: 0,
    errors: {},
    status: { '200': values.length },
    latency: encoded,
    latencyFromSend: encoded,
    sendLag: '',
    ...extra,
  }
}

test('mergeIntervals adds counts and histograms exactly', () => {
  const a = interval([1000, 2000, 3000], { errors: { timeout: 1 }, status: { '200': 2 }, dropped: 2 })
  const b = interval([4000, 5000], { errors: { timeout: 2, http_5xx: 1 }, status: { '200': 1, '503': 1 } })
  const merged = mergeIntervals([a, b])
  assert.equal(merged.requests, 5)
  assert.equal(merged.dropped, 2)
  assert.deepEqual(merged.errors, { timeout: 3, http_5xx: 1 })
  assert.deepEqual(merged.status, { '200': 3, '503': 1 })
  const h = decodeHistogram(merged.latency)
  assert.equal(h.totalCount, 5)
  const combined = newHistogram()
  for (const v of [1000, 2000, 3000, 4000, 5000]) recordUs(combined, v)
  for (const p of [50, 90, 99, 100]) assert.equal(h.getValueAtPercentile(p), combined.getValueAtPercentile(p))
  assert.equal(merged.sendLag, '')
})

const second = (t: number, values: number[], lag: number): SeriesSecond => ({
  type: 'second',
  t,
  share: 1,
  endpoints: { get_session: interval(values) },
  generator: { eventLoopLagMsP99: lag, cpuPct: 20, rssMb: 80, inFlight: 3 },
})

test('mergeSeconds sums endpoints and keeps the worst generator health', () => {
  const merged = mergeSeconds(4, [second(4, [1000], 1), second(4, [2000, 3000], 12)])
  assert.equal(merged.t, 4)
  assert.equal(merged.endpoints.get_session?.requests, 3)
  assert.equal(merged.generator.eventLoopLagMsP99, 12)
  assert.equal(merged.generator.inFlight, 6)
  assert.equal(merged.generator.rssMb, 160)
})

const header = (index: number, count: number, runId = 'r1', startedAtMs = 1_000_000): SeriesHeader => ({
  type: 'header',
  schemaVersion: 1,
  runId,
  target: 'http://127.0.0.1:1',
  startedAt: new Date(startedAtMs).toISOString(),
  startedAtMs,
  shard: { index, count },
  config: { scale: 1, shard: { index, count } },
  profile: {},
  endpoints: ['get_session'],
})

test('missingShards names the shards not given', () => {
  assert.deepEqual(
    missingShards([
      { index: 2, count: 4 },
      { index: 0, count: 4 },
    ]),
    [
      { index: 1, count: 4 },
      { index: 3, count: 4 },
    ],
  )
  assert.deepEqual(missingShards([{ index: 0, count: 1 }]), [])
})

test('mergeHeaders accepts the shards of one run', () => {
  const merged = mergeHeaders([header(0, 2, 'r1', 1_000_400), header(1, 2)], ['a', 'b'])
  assert.equal(merged.runId, 'r1')
  assert.equal(merged.shard, undefined)
  assert.deepEqual(merged.shards, [
    { index: 0, count: 2 },
    { index: 1, count: 2 },
  ])
  assert.equal(merged.startedAtMs, 1_000_000)
  assert.deepEqual(merged.config, { scale: 1 }, 'the merged config is no shard')
  assert.equal(secondOffset(header(0, 2, 'r1', 1_000_400), merged.startedAtMs), 0)
  assert.equal(secondOffset(header(0, 2, 'r1', 1_002_600), merged.startedAtMs), 3)
})

const REFUSED: [string, SeriesHeader[], RegExp][] = [
  ['different runs', [header(0, 2, 'r1'), header(1, 2, 'r2')], /merge only shards of one run/],
  ['overlapping shards', [header(1, 2), header(1, 2)], /both shard 1\/2: overlapping shards/],
  ['different shard counts', [header(0, 2), header(1, 3)], /is shard 1\/3, a is of 2/],
  ['not a shard', [{ ...header(0, 2), shard: undefined }], /is not a shard/],
]

for (const [name, headers, message] of REFUSED) {
  test(`mergeHeaders refuses ${name}`, () => {
    assert.throws(() => mergeHeaders(headers, ['a', 'b']), { code: 'CL_RESULTS', message })
  })
}
