import assert from 'node:assert/strict'
import { test } from 'node:test'
import { encodeHistogram, newHistogram, recordUs } from '../model/histogram.js'
import type { SeriesSecond } from '../model/results.js'
import { SecondAligner } from './aligner.js'

/** A worker's second with `n` requests of get_session, 1 ms each. */
function second(t: number, n: number): SeriesSecond {
  const h = newHistogram()
  for (let i = 0; i < n; i++) recordUs(h, 1000)
  return {
    type: 'second',
    t,
    share: 1,
    endpoints: {
      get_session: {
        asked: n,
        requests: n,
        ok: n,
        dropped: 0,
        errors: {},
        status: { '200': n },
        latency: encodeHistogram(h),
        latencyFromSend: encodeHistogram(h),
        sendLag: '',
      },
    },
    generator: { eventLoopLagMsP99: 1, cpuPct: 10, rssMb: 50, inFlight: 0 },
  }
}

function aligner(sources: number, graceMs = 2000) {
  let now = 0
  const out: SeriesSecond[] = []
  const a = new SecondAligner({ sources, graceMs, emit: (s) => out.push(s), now: () => now })
  return {
    a,
    out,
    advance(ms: number) {
      now += ms
      a.tick()
    },
    requests: () => out.map((s) => s.endpoints.get_session?.requests ?? 0),
  }
}

test('a second goes out once every worker reported it, merged, in order', () => {
  const { a, out, requests } = aligner(2)
  a.add(0, second(0, 3))
  assert.equal(out.length, 0, 'waits for worker 1')
  a.add(0, second(1, 4))
  assert.equal(out.length, 0)
  a.add(1, second(0, 5))
  assert.deepEqual(
    out.map((s) => s.t),
    [0],
  )
  a.add(1, second(1, 6))
  assert.deepEqual(
    out.map((s) => s.t),
    [0, 1],
  )
  assert.deepEqual(requests(), [8, 10])
  assert.equal(out[0]!.generator.rssMb, 100, 'the workers’ memory adds')
})

test('a slow worker delays a second by the grace at most; its late second joins the next one', () => {
  const { a, out, advance, requests } = aligner(2, 2000)
  a.add(0, second(0, 3))
  advance(1999)
  assert.equal(out.length, 0)
  advance(1)
  assert.deepEqual(requests(), [3], 'second 0 went out without worker 1')
  a.add(1, second(0, 5))
  assert.equal(a.lateSeconds, 1)
  a.add(0, second(1, 2))
  a.add(1, second(1, 1))
  assert.deepEqual(requests(), [3, 8], 'the late second counts in second 1: nothing is lost')
})

test('an ended worker is not waited for; finish() sends everything held', () => {
  const { a, out, requests } = aligner(3)
  a.add(0, second(0, 1))
  a.add(1, second(0, 1))
  a.close(2)
  assert.deepEqual(requests(), [2])
  a.add(0, second(1, 1))
  a.add(0, second(2, 1))
  assert.equal(out.length, 1, 'worker 1 is still running')
  a.finish()
  assert.deepEqual(
    out.map((s) => s.t),
    [0, 1, 2],
  )
  assert.deepEqual(requests(), [2, 1, 1])
})

test('a late second after the last one is not lost at the end', () => {
  const { a, requests, advance } = aligner(2, 10)
  a.add(0, second(0, 1))
  advance(10)
  a.close(0)
  a.add(1, second(0, 7))
  a.finish()
  assert.deepEqual(requests(), [1, 7])
})

test('seconds nobody reported are skipped, not waited for', () => {
  const { a, out } = aligner(2)
  a.add(0, second(0, 1))
  a.add(1, second(0, 1))
  a.add(0, second(2, 1))
  a.add(1, second(2, 1))
  assert.deepEqual(
    out.map((s) => s.t),
    [0, 2],
  )
})
