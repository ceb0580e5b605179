import { performance } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'

/**
 * A sub-millisecond wake-up for the engine's clock loop (used by clock.ts).
 *
 * Why: Node's timers count whole milliseconds from the loop's cached time, so a `setTimeout(1)`
 * wakes 0–1.1 ms after the arrival it waits for, at a moment unrelated to it. At 5000 req/s that
 * spread alone took the server's count per 10 ms from the 0.04 floor of the check-in flows to
 * ~0.06 (measured: the first steps' send lag was spread evenly over 0–1.1 ms). Here a worker
 * thread sleeps in `Atomics.wait` (a futex with a nanosecond timeout) until the time asked, then
 * wakes the main loop with a message; the main thread never spins. The price: a wake-up is a
 * round trip between two threads (on one core, context switches), ~1250 a second for the check-in
 * flows at 5000 req/s; the engine's clock (clock.ts) asks for one at most every 0.25 ms. Opt-in
 * (EngineOptions.clock `precise`) until it is as cheap as the timer: docs/engine.md has the figures.
 *
 * Protocol over 16 shared bytes: at byte 8 the time asked (Float64, epoch ms, Infinity for none),
 * at byte 0 a generation (Int32) that the main thread bumps, with a notify, to wake the worker:
 * when it asks for an earlier time than the worker sleeps towards, or after a wake-up (the worker
 * parks once it has answered); -1 stops it. A later time is only written: the worker wakes at the
 * earlier one, reads it and sleeps on. A timer behind each request keeps the loop going should
 * the worker ever fail.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { performance } = require('node:perf_hooks')
const control = new Int32Array(workerData, 0, 2)
const due = new Float64Array(workerData, 8, 1)
const origin = performance.timeOrigin
for (;;) {
  const generation = Atomics.load(control, 0)
  if (generation < 0) break
  const wait = due[0] - (origin + performance.now())
  if (wait > 0) {
    // until the time asked, or sooner if the main thread asks for an earlier one
    Atomics.wait(control, 0, generation, wait)
    continue
  }
  due[0] = Infinity
  parentPort.postMessage(0)
  // parked until the main thread asks again
  Atomics.wait(control, 0, generation)
}
`

export class PreciseClock {
  private readonly control: Int32Array
  private readonly due: Float64Array
  private readonly worker: Worker
  private generation = 0
  /** the time the worker sleeps towards (epoch ms); Infinity once answered or cancelled: it sleeps until asked */
  private askedAt = Number.POSITIVE_INFINITY
  private closed = false

  /** `onWake`: called on the main thread at (or just after) the time asked */
  constructor(onWake: () => void) {
    const shared = new SharedArrayBuffer(16)
    this.control = new Int32Array(shared, 0, 2)
    this.due = new Float64Array(shared, 8, 1)
    this.due[0] = Number.POSITIVE_INFINITY
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: shared })
    this.worker.on('message', () => {
      this.askedAt = Number.POSITIVE_INFINITY
      if (!this.closed) onWake()
    })
    this.worker.on('error', () => {
      this.closed = true
    })
    this.worker.unref()
  }

  /** Wakes the caller at `atMs` (performance.now() time), replacing any earlier request. */
  wakeAt(atMs: number): void {
    if (this.closed) return
    const at = performance.timeOrigin + atMs
    const sleepingUntil = this.askedAt
    this.askedAt = at
    this.due[0] = at
    // sleeping towards an earlier time, the worker then sleeps on to this one: no need to wake it
    if (at >= sleepingUntil) return
    this.generation = (this.generation + 1) & 0x3fffffff
    Atomics.store(this.control, 0, this.generation)
    Atomics.notify(this.control, 0)
  }

  /**
   * No wake-up pending: the worker, when it wakes, finds nothing due and sleeps until asked, so
   * the next request must wake it (whatever time it asks for).
   */
  cancel(): void {
    if (this.closed) return
    this.due[0] = Number.POSITIVE_INFINITY
    this.askedAt = Number.POSITIVE_INFINITY
  }

  close(): Promise<number> {
    this.closed = true
    Atomics.store(this.control, 0, -1)
    Atomics.notify(this.control, 0)
    return this.worker.terminate()
  }
}
