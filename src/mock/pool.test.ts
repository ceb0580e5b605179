import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type PoolWaiter, WorkerPool } from './pool.js'

/** A manual clock, so waits are exact. */
function clock(start = 0) {
  let t = start
  return { now: () => t, advance: (ms: number) => (t += ms) }
}

/** A waiter that records when and after how long it was granted. */
function waiter(log: string[], name: string, waits?: number[]): PoolWaiter {
  return {
    granted(waitedMs) {
      log.push(name)
      waits?.push(waitedMs)
    },
  }
}

test('grants at once while workers are free, then queues', () => {
  const c = clock()
  const pool = new WorkerPool(2, Number.POSITIVE_INFINITY, c.now)
  const log: string[] = []
  assert.equal(pool.acquire(waiter(log, 'a')), 'granted')
  assert.equal(pool.acquire(waiter(log, 'b')), 'granted')
  assert.equal(pool.acquire(waiter(log, 'c')), 'queued')
  assert.deepEqual(log, ['a', 'b'])
  assert.equal(pool.busy, 2)
  assert.equal(pool.backlog, 1)
})

test('release hands the worker to the oldest waiter (FIFO) with its wait', () => {
  const c = clock(100)
  const pool = new WorkerPool(1, Number.POSITIVE_INFINITY, c.now)
  const log: string[] = []
  const waits: number[] = []
  pool.acquire(waiter(log, 'a', waits))
  c.advance(5)
  pool.acquire(waiter(log, 'b', waits))
  c.advance(5)
  pool.acquire(waiter(log, 'c', waits))
  c.advance(10)
  pool.release()
  assert.deepEqual(log, ['a', 'b'])
  pool.release()
  assert.deepEqual(log, ['a', 'b', 'c'])
  assert.deepEqual(waits, [0, 15, 10])
  assert.equal(pool.busy, 1)
  assert.equal(pool.backlog, 0)
  pool.release()
  assert.equal(pool.busy, 0)
})

test('a backlog cap refuses beyond it; 0 refuses whenever all workers are busy', () => {
  const pool = new WorkerPool(1, 2)
  const log: string[] = []
  assert.equal(pool.acquire(waiter(log, 'a')), 'granted')
  assert.equal(pool.acquire(waiter(log, 'b')), 'queued')
  assert.equal(pool.acquire(waiter(log, 'c')), 'queued')
  assert.equal(pool.acquire(waiter(log, 'd')), 'refused')
  assert.deepEqual(pool.totals, { granted: 1, queued: 2, refused: 1 })
  const none = new WorkerPool(1, 0)
  assert.equal(none.acquire(waiter(log, 'e')), 'granted')
  assert.equal(none.acquire(waiter(log, 'f')), 'refused')
})

test('a long backlog of instant requests drains in a loop, not by recursion', () => {
  const pool = new WorkerPool(1)
  let done = 0
  const instant: PoolWaiter = {
    granted() {
      done++
      pool.release() // answers at once, like GET sessions without downstream calls
    },
  }
  const holder: PoolWaiter = { granted() {} }
  pool.acquire(holder)
  const n = 200_000 // deep enough to overflow the stack if release recursed
  for (let i = 0; i < n; i++) pool.acquire(instant)
  assert.equal(pool.backlog, n)
  assert.equal(pool.maxBacklog, n)
  pool.release()
  assert.equal(done, n)
  assert.equal(pool.busy, 0)
  assert.equal(pool.backlog, 0)
})

test('busy worker-ms integrates busy workers over time (mean busy = rise / interval)', () => {
  const c = clock()
  const pool = new WorkerPool(4, Number.POSITIVE_INFINITY, c.now)
  const w: PoolWaiter = { granted() {} }
  pool.acquire(w)
  c.advance(10) // 1 busy for 10 ms
  pool.acquire(w)
  pool.acquire(w)
  c.advance(20) // 3 busy for 20 ms
  pool.release()
  c.advance(5) // 2 busy for 5 ms
  assert.equal(pool.busyWorkerMs(), 10 + 60 + 10)
})

test('release without a held worker is a bug and says so', () => {
  assert.throws(() => new WorkerPool(1).release(), /without a held worker/)
})

for (const [size, cap] of [
  [0, 1],
  [1.5, 1],
  [1, -1],
] as const) {
  test(`refuses a pool of ${size} workers with backlog cap ${cap}`, () => {
    assert.throws(() => new WorkerPool(size, cap), RangeError)
  })
}

test('the ring grows past its first chunk and keeps FIFO order across the wrap', () => {
  const pool = new WorkerPool(1)
  const log: string[] = []
  pool.acquire(waiter(log, 'first'))
  // fill, drain half, refill: the ring wraps before it grows
  for (let i = 0; i < 40; i++) pool.acquire(waiter(log, `w${i}`))
  for (let i = 0; i < 20; i++) pool.release()
  for (let i = 40; i < 200; i++) pool.acquire(waiter(log, `w${i}`))
  for (let i = 0; i < 180; i++) pool.release()
  assert.deepEqual(
    log,
    ['first', ...Array.from({ length: 200 }, (_, i) => `w${i}`)],
    'every waiter granted once, in arrival order',
  )
})
