import { performance } from 'node:perf_hooks'
import { ConfigError } from '../errors.js'
import { PreciseClock } from './precise-clock.js'

/** how the clock loop wakes for its next arrival: Node's 1 ms timers, or the PreciseClock */
export type ClockKind = 'timer' | 'precise'

export const CLOCKS: readonly ClockKind[] = ['timer', 'precise']

/** A clock's name as given (a flag, the environment): undefined or '' is `timer`. */
export function parseClock(value: string | undefined): ClockKind {
  if (value === undefined || value === '') return 'timer'
  if (value === 'timer' || value === 'precise') return value
  throw new ConfigError(`CHECKIN_LOAD_CLOCK must be timer or precise, not "${value}"`)
}

/** a wake-up due sooner than this goes to the precise clock, a later one to a timer */
const PRECISE_WITHIN_MS = 2
/** the least time between two precise wake-ups (ms) */
const PRECISE_EVERY_MS = 0.25

/**
 * The run's time, and the wake-ups of the engine's clock loop: one at a time, by a timer, by the
 * precise clock (`precise-clock.ts`, for a wake-up due within 2 ms), or as soon as possible (an
 * immediate, for stop(), abort() and a drained run). Each wake-up calls `tick`.
 */
export class Clock {
  /** performance.now() at the run's time zero */
  t0 = 0
  private timer: NodeJS.Timeout | undefined
  private immediate: NodeJS.Immediate | undefined
  /** sub-millisecond wake-ups for arrivals due within the next 2 ms (see PreciseClock) */
  private readonly precise: PreciseClock | undefined
  private preciseWokeMs = Number.NEGATIVE_INFINITY

  constructor(
    kind: ClockKind,
    private readonly tick: () => void,
  ) {
    this.precise = kind === 'precise' ? new PreciseClock(() => this.preciseWake()) : undefined
  }

  get kind(): ClockKind {
    return this.precise === undefined ? 'timer' : 'precise'
  }

  /** The run's time (ms since time zero) now. */
  now(): number {
    return performance.now() - this.t0
  }

  /** A wake-up as soon as possible is queued: the tick it runs schedules the next. */
  get wakingSoon(): boolean {
    return this.immediate !== undefined
  }

  /** The tick runs: no wake-up is pending any more. */
  ticked(): void {
    this.timer = undefined
    this.immediate = undefined
  }

  /** The next tick at run time `due` (`now` is the run's time now), replacing the one pending. */
  wakeAt(due: number, now: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    const delay = due - now
    if (this.precise !== undefined && delay < PRECISE_WITHIN_MS) {
      // at most one wake-up per PRECISE_EVERY_MS: a dense stream leaves a few arrivals per wake-up
      this.precise.wakeAt(this.t0 + Math.max(due, this.preciseWokeMs + PRECISE_EVERY_MS))
      // a net under the worker: it cannot stop the loop
      this.timer = setTimeout(this.tick, PRECISE_WITHIN_MS + 3)
      return
    }
    this.precise?.cancel()
    // Node's timers have 1 ms granularity: sleep the whole milliseconds, release what is due on waking.
    this.timer = setTimeout(this.tick, delay > 1 ? Math.floor(delay) : 1)
  }

  /** The next tick as soon as possible (unless one is queued already). */
  wakeSoon(): void {
    if (this.immediate !== undefined) return
    if (this.timer !== undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    this.immediate = setImmediate(this.tick)
  }

  /** No more ticks. */
  stop(): void {
    void this.precise?.close()
    if (this.timer !== undefined) clearTimeout(this.timer)
    if (this.immediate !== undefined) clearImmediate(this.immediate)
    this.timer = undefined
    this.immediate = undefined
  }

  private preciseWake(): void {
    this.preciseWokeMs = this.now()
    if (this.timer !== undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    if (this.immediate === undefined) this.tick()
  }
}
