import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ERROR_KINDS } from '../model/error-kinds.js'
import { decodeHistogram } from '../model/histogram.js'
import { seriesSecondSchema } from '../model/results.js'
import { Recorder, WARM_UP_FOLDS, warmUpFolds } from './recorder.js'

const HEALTH = { eventLoopLagMsP99: 0.5, cpuPct: 12, rssMb: 80, inFlight: 3 }
const kind = (k: (typeof ERROR_KINDS)[number]) => ERROR_KINDS.indexOf(k)

test('folds one second per endpoint: asked, requests, ok, dropped, errors, status, histograms', () => {
  const recorder = new Recorder(['get_session', 'post_session'])
  recorder.sent(0, 1000, 1000.5) // lag 0.5 ms
  recorder.response(0, 200, -1, 1000, 1000.5, 1010) // 10 ms from intended, 9.5 from send
  recorder.sent(0, 1100, 1100)
  recorder.response(0, 503, kind('http_5xx'), 1100, 1100, 1150)
  recorder.sent(1, 1200, 1201)
  recorder.failed(1, kind('connect_refused'))
  recorder.dropped(1)
  recorder.dropped(1)
  const second = recorder.fold(4, 0.5, HEALTH)
  assert.ok(seriesSecondSchema.safeParse(second).success)
  assert.equal(second.t, 4)
  assert.equal(second.share, 0.5)
  // the caller's health, with the second's worst send lag p99 (1 ms: post_session's)
  assert.deepEqual(second.generator, { ...HEALTH, sendLagMsP99: 1 })
  const get = second.endpoints.get_session!
  assert.deepEqual(
    { asked: get.asked, requests: get.requests, ok: get.ok, dropped: get.dropped },
    { asked: 2, requests: 2, ok: 1, dropped: 0 },
  )
  assert.deepEqual(get.errors, { http_5xx: 1 })
  assert.deepEqual(get.status, { '200': 1, '503': 1 })
  const latency = decodeHistogram(get.latency)
  assert.equal(latency.totalCount, 2)
  assert.ok(Math.abs(latency.maxValue - 50_000) <= 50)
  assert.ok(Math.abs(decodeHistogram(get.latencyFromSend).minNonZeroValue - 9500) <= 10)
  assert.ok(Math.abs(decodeHistogram(get.sendLag).maxValue - 500) <= 1)
  const post = second.endpoints.post_session!
  assert.deepEqual(
    { asked: post.asked, requests: post.requests, ok: post.ok, dropped: post.dropped },
    { asked: 3, requests: 1, ok: 0, dropped: 2 },
  )
  assert.deepEqual(post.errors, { connect_refused: 1 })
  assert.deepEqual(post.status, {})
  assert.equal(post.latency, '', 'a failure without an answer has no latency')
  assert.deepEqual(recorder.totals, { asked: 5, requests: 3, ok: 1, dropped: 2, errors: 2 })
})

test('fold resets the interval; memory does not grow with requests', () => {
  const recorder = new Recorder(['a'])
  for (let i = 0; i < 1000; i++) {
    recorder.sent(0, i, i)
    recorder.response(0, 200, -1, i, i, i + 1)
  }
  const first = recorder.fold(0, 1, HEALTH).endpoints.a!
  assert.equal(first.requests, 1000)
  const next = recorder.fold(1, 1, HEALTH).endpoints.a!
  assert.deepEqual(
    { ...next, latency: '', latencyFromSend: '', sendLag: '' },
    {
      asked: 0,
      requests: 0,
      ok: 0,
      dropped: 0,
      errors: {},
      status: {},
      latency: '',
      latencyFromSend: '',
      sendLag: '',
    },
  )
  assert.equal(next.latency, '')
})

test('lent histograms hold their second until the next fold, then are recorded into again', () => {
  const recorder = new Recorder(['get_session'])
  recorder.sent(0, 0, 0)
  recorder.response(0, 200, -1, 0, 0, 5) // 5 ms
  const first = recorder.foldSecond(0, 1, HEALTH)
  const lent = first.histograms.get('get_session')!.latency
  assert.equal(lent.totalCount, 1)
  // recorded while lent: goes to the other buffer, the lent one is untouched
  recorder.sent(0, 1000, 1000)
  recorder.response(0, 200, -1, 1000, 1000, 1007)
  recorder.response(0, 200, -1, 1000, 1000, 1009)
  assert.equal(lent.totalCount, 1)
  const second = recorder.foldSecond(1, 1, HEALTH)
  const lentAgain = second.histograms.get('get_session')!.latency
  assert.notEqual(lentAgain, lent)
  assert.equal(lentAgain.totalCount, 2)
  // the first second's histogram was reset and records the third second
  recorder.response(0, 200, -1, 2000, 2000, 2003)
  assert.equal(lent.totalCount, 1)
  assert.equal(recorder.foldSecond(2, 1, HEALTH).histograms.get('get_session')!.latency, lent)
})

test('deferred encoding: the line is complete once its pieces ran, and equals an immediate fold', () => {
  const record = (recorder: Recorder) => {
    for (let i = 0; i < 50; i++) {
      recorder.sent(i % 2, i, i + 0.5)
      recorder.response(i % 2, 200, -1, i, i + 0.5, i + 3 + i / 10)
    }
  }
  const now = new Recorder(['a', 'b'])
  const later = new Recorder(['a', 'b'])
  record(now)
  record(later)
  const immediate = now.foldSecond(0, 1, HEALTH)
  const deferred = later.foldSecond(0, 1, HEALTH, true)
  assert.equal(immediate.encoding.length, 0)
  assert.equal(deferred.encoding.length, 2)
  assert.equal(deferred.second.endpoints.a!.latency, '')
  for (const piece of deferred.encoding) piece()
  assert.deepEqual(deferred.second, immediate.second)
  assert.notEqual(deferred.second.endpoints.a!.latency, '')
  assert.equal(decodeHistogram(deferred.second.endpoints.b!.sendLag).totalCount, 25)
  seriesSecondSchema.parse(deferred.second)
})

test('each fold holds only its own second, through the double buffer and seconds without values', () => {
  const recorder = new Recorder(['a', 'b'])
  const counts = [3, 0, 5, 7, 0, 2]
  counts.forEach((n, t) => {
    for (let i = 0; i < n; i++) recorder.response(0, 200, -1, i, i, i + 1 + t)
    const folded = recorder.foldSecond(t, 1, HEALTH)
    const latency = folded.histograms.get('a')!.latency
    assert.equal(latency.totalCount, n, `second ${t}`)
    if (n > 0) assert.equal(Math.round(latency.minNonZeroValue / 1000), 1 + t)
    assert.equal(decodeHistogram(folded.second.endpoints.a!.latency).totalCount, n)
    assert.equal(folded.histograms.get('b')!.latency.totalCount, 0)
  })
})

test('warmUpFolds: the asked number of folds, each with 300 made-up answers per endpoint, encoded', () => {
  const recorder = new Recorder(['a', 'b', 'c'])
  const folds = [...warmUpFolds(recorder, 4)]
  assert.equal(folds.length, 4)
  assert.deepEqual(
    folds.map((f) => f.second.t),
    [0, 1, 2, 3],
  )
  for (const folded of folds) {
    for (const id of ['a', 'b', 'c']) {
      const stats = folded.second.endpoints[id]!
      assert.equal(stats.requests, 300)
      assert.equal(stats.ok, 300)
      assert.equal(decodeHistogram(stats.latency).totalCount, 300)
      assert.equal(decodeHistogram(stats.sendLag).totalCount, 300)
    }
  }
  assert.equal(WARM_UP_FOLDS, [...warmUpFolds(new Recorder(['a']))].length)
})

test('the wait for a shared connection is told apart from the send lag', () => {
  const recorder = new Recorder(['a'])
  recorder.sent(0, 1000, 1000.2)
  recorder.connectionWait(0, 250)
  recorder.sent(0, 1001, 1001.2)
  recorder.connectionWait(0, 40)
  const health = recorder.fold(0, 1, HEALTH).generator
  assert.equal(health.waitedForConnection, 2)
  assert.ok(Math.abs(health.connectionWaitMsP99! - 250) < 1, String(health.connectionWaitMsP99))
  assert.ok(health.sendLagMsP99! < 0.3)
  // the next second starts from nothing
  assert.equal(recorder.fold(1, 1, HEALTH).generator.waitedForConnection, undefined)
})
