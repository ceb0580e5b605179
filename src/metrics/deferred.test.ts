import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DeferredWork } from './deferred.js'

test('pieces run in order, one per loop turn, with the timers due in between', async () => {
  const log: string[] = []
  const work = new DeferredWork((error) => assert.fail(String(error)))
  // a timer due at once: it must run after the first piece, not after all of them
  const busy = (ms: number) => {
    const end = performance.now() + ms
    while (performance.now() < end);
  }
  setTimeout(() => log.push('timer'), 0)
  work.defer(
    () => {
      busy(3)
      log.push('a')
    },
    () => log.push('b'),
    () => log.push('c'),
  )
  assert.equal(work.pending, 3)
  await new Promise((resolve) => setTimeout(resolve, 30))
  assert.deepEqual(
    log.filter((x) => x !== 'timer'),
    ['a', 'b', 'c'],
  )
  assert.ok(log.indexOf('timer') < log.indexOf('c'), log.join(','))
  assert.equal(work.pending, 0)
})

test('flush() runs what is pending at once, in order; nothing runs twice', async () => {
  const log: number[] = []
  const work = new DeferredWork((error) => assert.fail(String(error)))
  work.defer(
    () => log.push(1),
    () => log.push(2),
  )
  work.defer(() => log.push(3))
  work.flush()
  assert.deepEqual(log, [1, 2, 3])
  await new Promise((resolve) => setImmediate(resolve))
  await new Promise((resolve) => setTimeout(resolve, 5))
  assert.deepEqual(log, [1, 2, 3])
})

test('a piece that throws goes to onError; the others still run', async () => {
  const errors: unknown[] = []
  const log: string[] = []
  const work = new DeferredWork((error) => errors.push(error))
  work.defer(
    () => {
      throw new Error('boom')
    },
    () => log.push('after'),
  )
  await new Promise((resolve) => setTimeout(resolve, 20))
  assert.equal(errors.length, 1)
  assert.match(String(errors[0]), /boom/)
  assert.deepEqual(log, ['after'])
})
