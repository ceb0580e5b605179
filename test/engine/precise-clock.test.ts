import assert from 'node:assert/strict'
import { performance } from 'node:perf_hooks'
import { test } from 'node:test'
import { PreciseClock, parseClock } from '../../src/engine/index.js'
import { ConfigError } from '../../src/errors.js'
import { okHandler, oneStepFlow, runEngine, startServer, totals } from './helpers.js'

/**
 * The precise clock (a worker thread in Atomics.wait): never early, one wake-up per request, a
 * later request only moves the wake-up, an earlier one brings it forward; and the engine on it
 * sends exactly what the schedule asks and lets the process exit. Clocks are asserted loosely
 * (a busy 2-core machine), counts and orderings exactly.
 */
/** A clock and the times it woke this thread. */
function wakeUps() {
  const times: number[] = []
  const clock = new PreciseClock(() => times.push(performance.now()))
  return { clock, times }
}

/** each thread reads the clock from its own time origin: they may differ by microseconds */
const ORIGINS_MS = 0.05

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Waits until `done()` holds, up to `ms` (a busy machine may deliver late, never early). */
async function waitFor(done: () => boolean, ms: number): Promise<void> {
  const until = performance.now() + ms
  while (!done() && performance.now() < until) await settle(5)
}

test('parseClock picks the clock; timer by default; anything else is refused', () => {
  assert.equal(parseClock(undefined), 'timer')
  assert.equal(parseClock(''), 'timer')
  assert.equal(parseClock('timer'), 'timer')
  assert.equal(parseClock('precise'), 'precise')
  assert.throws(() => parseClock('fast'), ConfigError)
  assert.throws(() => parseClock('fast'), /CHECKIN_LOAD_CLOCK must be timer or precise, not "fast"/)
})

test('a wake-up comes once, never before the time asked; a later request moves it', async () => {
  const { clock, times } = wakeUps()
  try {
    await settle(100) // the worker starts
    const asked = performance.now() + 20
    clock.wakeAt(asked)
    await waitFor(() => times.length > 0, 3000)
    await settle(50)
    assert.equal(times.length, 1)
    assert.ok(times[0]! >= asked - ORIGINS_MS, `woke ${(asked - times[0]!).toFixed(3)} ms early`)
    assert.ok(times[0]! - asked < 1000, `woke ${(times[0]! - asked).toFixed(1)} ms late`)

    const first = performance.now() + 50
    clock.wakeAt(first)
    const moved = performance.now() + 120
    clock.wakeAt(moved)
    await waitFor(() => times.length > 1, 3000)
    await settle(50)
    assert.equal(times.length, 2)
    assert.ok(times[1]! >= moved - ORIGINS_MS, 'the later request replaced the earlier one')
  } finally {
    await clock.close()
  }
})

test('an earlier request brings the wake-up forward; cancel() leaves none, and the next comes', async () => {
  const { clock, times } = wakeUps()
  try {
    await settle(100)
    const late = performance.now() + 2000
    clock.wakeAt(late)
    const early = performance.now() + 15
    clock.wakeAt(early)
    await waitFor(() => times.length > 0, 1900)
    assert.equal(times.length, 1)
    assert.ok(
      times[0]! >= early - ORIGINS_MS && times[0]! < late,
      'woken for the earlier time, before the later',
    )

    clock.wakeAt(performance.now() + 100)
    clock.cancel()
    await settle(300)
    assert.equal(times.length, 1, 'nothing after cancel()')
    // the worker woke at the cancelled time, found nothing and sleeps until asked: a request for a
    // later time than the cancelled one must still reach it
    const after = performance.now() + 20
    clock.wakeAt(after)
    await waitFor(() => times.length > 1, 3000)
    assert.equal(times.length, 2, 'woken after a cancel')
    assert.ok(times[1]! >= after - ORIGINS_MS)
  } finally {
    await clock.close()
  }
})

test('the engine on the precise clock: exactly the arrivals asked, all answered, and it ends', async () => {
  const server = await startServer(okHandler)
  try {
    const { seconds, engine, result } = await runEngine({
      target: server.url,
      flows: [oneStepFlow(60 * 400)],
      stages: [{ durationMs: 1500, target: 1 }],
      startShare: 1,
      scale: 1,
      arrival: 'constant',
      seed: 1,
      maxInFlight: 1000,
      timeoutMs: 5000,
      clock: 'precise',
    })
    assert.equal(engine.clockKind, 'precise')
    const ping = totals(seconds, 'ping')
    assert.equal(result.arrivals, 600)
    assert.equal(ping.asked, 600)
    assert.equal(ping.ok, 600)
  } finally {
    await server.close()
  }
})
