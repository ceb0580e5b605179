import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DelayScheduler, type TimerFunctions } from './scheduler.js'

/** Manual time: timers fire only when the test advances the clock. */
function fakeTimers() {
  let now = 1000.25
  let next = 1
  const timers = new Map<number, { at: number; callback: () => void }>()
  const fns: TimerFunctions = {
    now: () => now,
    setTimeout: (callback, ms) => {
      const id = next++
      timers.set(id, { at: now + Math.max(1, ms), callback })
      return id
    },
    clearTimeout: (id) => {
      timers.delete(id as number)
    },
  }
  return {
    fns,
    armed: () => timers.size,
    advance(ms: number) {
      const end = now + ms
      for (;;) {
        const due = [...timers].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0]
        if (due === undefined) break
        timers.delete(due[0])
        now = Math.max(now, due[1].at)
        due[1].callback()
      }
      now = end
    },
  }
}

test('tasks run after their delay, in due order, same-millisecond ones in scheduling order', () => {
  const t = fakeTimers()
  const scheduler = new DelayScheduler(t.fns)
  const log: string[] = []
  const task = (name: string) => ({ run: () => log.push(name) })
  scheduler.schedule(5, task('a5'))
  scheduler.schedule(2, task('b2'))
  scheduler.schedule(2, task('c2'))
  scheduler.schedule(9, task('d9'))
  assert.equal(scheduler.pending, 4)
  t.advance(1)
  assert.deepEqual(log, [])
  t.advance(2)
  assert.deepEqual(log, ['b2', 'c2'])
  t.advance(3)
  assert.deepEqual(log, ['b2', 'c2', 'a5'])
  t.advance(10)
  assert.deepEqual(log, ['b2', 'c2', 'a5', 'd9'])
  assert.equal(scheduler.pending, 0)
  assert.equal(t.armed(), 0, 'no timer left behind')
})

test('one timer for many tasks due in the same millisecond', () => {
  const t = fakeTimers()
  const scheduler = new DelayScheduler(t.fns)
  let ran = 0
  for (let i = 0; i < 1000; i++) scheduler.schedule(2, { run: () => ran++ })
  assert.equal(t.armed(), 1)
  t.advance(3)
  assert.equal(ran, 1000)
})

test('an earlier task re-arms the timer; a later one does not', () => {
  const t = fakeTimers()
  const scheduler = new DelayScheduler(t.fns)
  const log: number[] = []
  scheduler.schedule(100, { run: () => log.push(100) })
  scheduler.schedule(10, { run: () => log.push(10) })
  scheduler.schedule(50, { run: () => log.push(50) })
  assert.equal(t.armed(), 1)
  t.advance(11)
  assert.deepEqual(log, [10])
  t.advance(100)
  assert.deepEqual(log, [10, 50, 100])
})

test('never more than a millisecond early; a task scheduled while running waits its own delay', () => {
  const t = fakeTimers()
  const scheduler = new DelayScheduler(t.fns)
  const at: number[] = []
  const start = t.fns.now()
  scheduler.schedule(3, {
    run: () => {
      at.push(t.fns.now() - start)
      scheduler.schedule(3, { run: () => at.push(t.fns.now() - start) })
    },
  })
  t.advance(20)
  assert.equal(at.length, 2)
  assert.ok(at[0]! >= 2 && at[1]! - at[0]! >= 2, `ran at ${at.join(', ')} ms`)
})

test('clear() drops waiting tasks and the timer', () => {
  const t = fakeTimers()
  const scheduler = new DelayScheduler(t.fns)
  let ran = 0
  scheduler.schedule(5, { run: () => ran++ })
  scheduler.clear()
  t.advance(10)
  assert.equal(ran, 0)
  assert.equal(t.armed(), 0)
})

test('a heap of many distinct due times pops in order', () => {
  const t = fakeTimers()
  const scheduler = new DelayScheduler(t.fns)
  const log: number[] = []
  const delays = Array.from({ length: 300 }, (_, i) => (i * 7919) % 1000)
  for (const d of delays) scheduler.schedule(d, { run: () => log.push(d) })
  t.advance(1001)
  assert.deepEqual(
    log,
    [...delays].sort((a, b) => a - b),
  )
})

test('with real timers, a task runs after about its delay', async () => {
  const scheduler = new DelayScheduler()
  const started = performance.now()
  const elapsed = await new Promise<number>((resolve) => {
    scheduler.schedule(20, { run: () => resolve(performance.now() - started) })
  })
  assert.ok(elapsed >= 19, `ran after ${elapsed} ms`)
})
