import assert from 'node:assert/strict'
import { performance } from 'node:perf_hooks'
import { test } from 'node:test'
import { ConnectionPool, type PooledRequest } from './pool.js'
import type { HttpTransport, PoolConnection } from './transports/index.js'

/**
 * The growth rule on its own: a pool over a fake transport (connections that never connect by
 * themselves, dispatches recorded) and a clock the test sets. The event loop's idle time is the
 * real one: a request's `waitingIdleMs` is set relative to it (it cannot move during this
 * synchronous code).
 */
function fakePool(connections = 100) {
  const opened: PoolConnection[] = []
  const sent: PooledRequest[] = []
  const transport: HttpTransport = {
    kind: 'raw',
    open() {
      const conn: PoolConnection = {
        connected: false,
        connecting: false,
        idle: false,
        draining: false,
        close: async () => {},
        destroy: async () => {},
      }
      opened.push(conn)
      return conn
    },
    dispatch(request) {
      sent.push(request as PooledRequest)
    },
    stop() {},
  }
  const clock = { ms: 0, now: () => clock.ms }
  const pool = new ConnectionPool({ transport, clock, maxInFlight: 1000, connections })
  return { pool, clock, opened, sent }
}

function request(): PooledRequest {
  return { active: true, waiting: false, waitingSinceMs: 0, waitingIdleMs: 0 } as PooledRequest
}

/** a request that began waiting at `sinceMs`, the loop idle for `idleMs` since */
function waitingRequest(sinceMs: number, idleMs: number): PooledRequest {
  const r = request()
  r.waiting = true
  r.waitingSinceMs = sinceMs
  r.waitingIdleMs = performance.nodeTiming.idleTime - idleMs
  return r
}

test('the first request opens a connection; the next waits while that one is coming', () => {
  const { pool, opened, sent } = fakePool()
  assert.equal(pool.mayOpen(undefined, 0), true, 'an empty pool opens')
  const first = request()
  pool.send(first)
  assert.deepEqual([opened.length, sent.length, pool.size], [1, 1, 1])
  assert.equal(pool.mayOpen(undefined, 0), false, 'one connection is connecting: it will be free soon')
  const second = request()
  pool.send(second)
  assert.deepEqual([opened.length, sent.length, pool.waitedForConnection], [1, 1, 1])
  assert.equal(second.waiting, true)
  assert.equal(pool.growDueMs(), 3, 'the waiting request is reconsidered after 3 ms')
  // the connection connects and its answer comes: the waiting request goes on it, no new one
  pool.connectDone(opened[0]!)
  pool.answered(opened[0]!)
  pool.released(opened[0]!)
  assert.deepEqual([opened.length, sent.length, pool.hasWaiting], [1, 2, false])
  assert.equal(second.waiting, false)
  assert.equal(pool.growDueMs(), Number.POSITIVE_INFINITY)
})

test('a request that waited 3 ms opens one only if the loop sat idle a quarter of the wait', () => {
  const { pool } = fakePool()
  pool.send(request())
  // waited under 3 ms: no, however idle the loop was
  assert.equal(pool.mayOpen(waitingRequest(0, 100), 2.9), false)
  // waited 4 ms, the loop idle 1 ms of it (a quarter): the connections kept it waiting
  assert.equal(pool.mayOpen(waitingRequest(0, 1), 4), true)
  // waited 4 ms, the loop idle 0.9 ms: the process was busy (a catch-up after a stall)
  assert.equal(pool.mayOpen(waitingRequest(0, 0.9), 4), false)
  // waited 100 ms on a loop busy throughout: still no
  assert.equal(pool.mayOpen(waitingRequest(0, 0), 100), false)
})

test('a slow server opens at once when no connection is about to free up', () => {
  const { pool, opened } = fakePool()
  pool.send(request())
  pool.connectDone(opened[0]!) // connected, its request out at the server
  assert.equal(pool.mayOpen(undefined, 0), false, 'answers fast so far (no answer yet)')
  pool.answerTime(100) // moving average 5 ms: over 3 ms
  assert.equal(pool.mayOpen(undefined, 0), true, 'slow, and nothing coming free')
  pool.answered(opened[0]!) // its answer is in, the connection rests: it comes free soon
  assert.equal(pool.mayOpen(undefined, 0), false)
})

test('the limits: at most 16 connecting at once, at most `connections` in all', () => {
  const many = fakePool(1000)
  const requests = Array.from({ length: 40 }, request)
  for (const r of requests) many.pool.send(r)
  assert.deepEqual([many.opened.length, many.sent.length, many.pool.waitedForConnection], [1, 1, 39])
  // every waiting request has waited 10 ms on an idle loop: the pool grows, 16 connecting at most
  for (const r of requests.slice(1)) r.waitingIdleMs = performance.nodeTiming.idleTime - 100
  many.clock.ms = 10
  many.pool.sendWaiting()
  assert.deepEqual([many.opened.length, many.sent.length], [16, 16])
  // one connects: room for one more
  many.pool.connectDone(many.opened[0]!)
  assert.deepEqual([many.opened.length, many.sent.length], [17, 17])

  const few = fakePool(3)
  const more = Array.from({ length: 10 }, request)
  for (const r of more) few.pool.send(r)
  for (const r of more.slice(1)) r.waitingIdleMs = performance.nodeTiming.idleTime - 100
  few.clock.ms = 10
  few.pool.sendWaiting()
  assert.deepEqual([few.opened.length, few.sent.length, few.pool.size], [3, 3, 3])
  assert.equal(few.pool.hasWaiting, true)
})

test('a request whose visit ended meanwhile gives its connection back unused', () => {
  const { pool, opened, sent } = fakePool()
  pool.send(request())
  const gone = request()
  pool.send(gone)
  ;(gone as { active: boolean }).active = false
  pool.connectDone(opened[0]!)
  pool.answered(opened[0]!)
  pool.released(opened[0]!)
  assert.equal(sent.length, 1, 'not sent')
  assert.equal(pool.hasWaiting, false)
  assert.equal(opened[0]!.idle, true, 'the connection is idle again')
  const next = request()
  pool.send(next)
  assert.deepEqual([opened.length, sent.length], [1, 2])
})
