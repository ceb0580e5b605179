import { performance } from 'node:perf_hooks'
import type { Dispatcher } from 'undici'
import { classifyError, classifyStatus, ERROR_KIND_INDEX } from './classify.js'
import type { Clock } from './clock.js'
import { CookieJar, isSetCookieName } from './cookies.js'
import type { CompiledFlow, CompiledStep } from './flows.js'
import type { ConnectionPool } from './pool.js'
import type { RawHandler } from './raw/connection.js'
import { createRng, type Rng } from './rng.js'
import { ThinkQueue } from './think-queue.js'
import type { PoolConnection } from './transports/index.js'
import type { RequestSink, VisitDataSource } from './types.js'

/**
 * Visits: an arrival runs its flow's steps in order, each when the previous one answered (plus the
 * step's think time), keeping the cookies the server set and its own template values.
 *
 * Rules:
 * - the first step's intended time is the arrival time; a later step's is the previous step's end
 *   plus the step's think time;
 * - an arrival that finds `maxInFlight` visits in flight is dropped, counted for every step;
 * - a step that fails (unexpected status or transport error) ends the visit: its remaining steps
 *   are not sent, and are neither asked nor dropped;
 * - at the end, what is still in flight counts as a `timeout` for the step it was on, and visits
 *   waiting out a think time are let go without counting their unsent steps.
 *
 * Hot path: a visit object IS the transport's handler of its request (the raw transport's
 * RawHandler; undici's legacy dispatch handler, which undici 7 passes through without an adapter),
 * reused from a free list; measurements go to the sink by method call with plain numbers.
 */

const TIMEOUT_KIND = ERROR_KIND_INDEX.timeout
/** a wait for a connection is the pool's when the loop sat idle this share of it (pool.ts's rule) */
const IDLE_SHARE_OF_POOL_WAIT = 0.25
const CORS_KIND = ERROR_KIND_INDEX.cors
const ALLOW_ORIGIN = Buffer.from('access-control-allow-origin')
const ALLOW_CREDENTIALS = Buffer.from('access-control-allow-credentials')

/** A header name (undici gives the bytes as sent) equal to a lower-case name, case-insensitively. */
function isHeader(name: Buffer, lower: Buffer): boolean {
  if (name.length !== lower.length) return false
  for (let i = 0; i < name.length; i++) if ((name[i]! | 0x20) !== lower[i]!) return false
  return true
}

/** What the visits tell the clock loop (the Engine). */
export interface VisitEvents {
  /** an answer (or a failure) came in: arrivals due since the last tick may leave now */
  answered(): void
  /** a think time ends before the loop's next wake-up */
  thinkQueued(): void
  /** the last visit in flight ended */
  noneInFlight(): void
}

/** One visit: a flow instance, and the handler of its current request. */
export class Visit implements Dispatcher.DispatchHandler, RawHandler {
  flow!: CompiledFlow
  step!: CompiledStep
  stepIndex = 0
  rng!: Rng
  intendedMs = 0
  sendMs = 0
  status = 0
  /** a request of this visit is in flight */
  sending = false
  /** waiting in the pool's queue for a free connection, since this time */
  waiting = false
  /** -1: this request did not wait for a connection */
  waitingSinceMs = -1
  /** the event loop's idle time (performance.nodeTiming.idleTime) when it began to wait */
  waitingIdleMs = 0
  /** the connection of the request in flight */
  conn: PoolConnection | undefined = undefined
  /** browser traffic: the visit's own connection, kept from step to step, closed at its end */
  ownConn: PoolConnection | undefined = undefined
  /** the answer's Access-Control-Allow-Origin ('' when none) */
  corsAllowOrigin = ''
  /** the answer's Access-Control-Allow-Credentials is `true` */
  corsCredentials = false
  active = false
  readonly values: string[]
  readonly jar = new CookieJar()
  /** bound once: the next step, run from a microtask after a completion */
  readonly sendNext: () => void

  constructor(
    private readonly visits: Visits,
    variables: number,
    private readonly sink: RequestSink,
    private readonly clock: Clock,
  ) {
    this.values = new Array<string>(variables).fill('')
    this.sendNext = () => {
      if (this.active) visits.send(this)
    }
  }

  /** The request leaves now on `conn` (called by the transport): counted as sent. */
  markSent(conn: PoolConnection): number {
    this.status = 0
    this.corsAllowOrigin = ''
    this.corsCredentials = false
    this.sending = true
    this.conn = conn
    const sendMs = this.clock.now()
    this.sendMs = sendMs
    const waitedSinceMs = this.waitingSinceMs
    this.waitingSinceMs = -1
    if (waitedSinceMs < 0 || !this.poolKeptWaiting(sendMs - waitedSinceMs)) {
      this.sink.sent(this.step.endpoint, this.intendedMs, sendMs)
    } else {
      // the pool kept it: the send lag ends when it was ready; the wait is the pool's, told apart
      this.sink.sent(this.step.endpoint, this.intendedMs, waitedSinceMs)
      this.sink.connectionWait?.(this.step.endpoint, sendMs - waitedSinceMs)
    }
    return sendMs
  }

  /**
   * Its wait for a connection was the pool's (all its connections busy with a slow target), not
   * the generator's: the event loop sat idle for at least a quarter of the wait (the pool's own
   * rule for opening more). A loop busy the whole time (a stall, answers in and unread) kept the
   * connections from freeing up: that wait is the generator late, and stays in the send lag.
   */
  private poolKeptWaiting(waitedMs: number): boolean {
    return performance.nodeTiming.idleTime - this.waitingIdleMs >= waitedMs * IDLE_SHARE_OF_POOL_WAIT
  }

  onConnect(): void {}

  onHeaders(statusCode: number, headers: Buffer[]): boolean {
    this.status = statusCode
    const cors = this.step.corsOrigin !== null
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!
      if (isSetCookieName(name)) this.jar.set(headers[i + 1]!.toString('latin1'))
      else if (cors && isHeader(name, ALLOW_ORIGIN)) this.onRawCors(false, headers[i + 1]!.toString('latin1'))
      else if (cors && isHeader(name, ALLOW_CREDENTIALS))
        this.onRawCors(true, headers[i + 1]!.toString('latin1'))
    }
    return true
  }

  onRawCors(credentials: boolean, value: string): void {
    if (credentials) this.corsCredentials = value.trim() === 'true'
    else this.corsAllowOrigin = value.trim()
  }

  /**
   * The answer passes a browser's CORS check (Fetch's CORS check, credentials mode `include`):
   * its Allow-Origin is the visit's Origin (not `*`) and Allow-Credentials is `true`; a preflight
   * must also answer 2xx.
   */
  corsAllowed(): boolean {
    const step = this.step
    if (step.corsOrigin === null) return true
    if (step.preflight && (this.status < 200 || this.status > 299)) return false
    return this.corsAllowOrigin === step.corsOrigin && this.corsCredentials
  }

  onData(): boolean {
    return true
  }

  onRawStatus(status: number): void {
    this.status = status
  }

  onRawSetCookie(value: string): void {
    this.jar.set(value)
  }

  onComplete(): void {
    if (this.active && this.sending) this.visits.completed(this)
  }

  onError(error: Error): void {
    if (this.active && this.sending) this.visits.errored(this, error)
  }
}

export interface VisitsOptions {
  readonly flows: readonly CompiledFlow[]
  readonly data: VisitDataSource
  readonly seed: number
  /** the shard's index: its visits draw their own data */
  readonly shardIndex: number
  readonly maxInFlight: number
  readonly sink: RequestSink
  readonly clock: Clock
  readonly pool: ConnectionPool
  readonly events: VisitEvents
}

/** The visits of a run: started, stepped, ended, and counted. */
export class Visits {
  /** visits in flight */
  inFlight = 0
  arrivals = 0
  droppedArrivals = 0
  /** visits still in flight at the end, counted as timeouts */
  abandoned = 0
  private readonly data: VisitDataSource
  private readonly dataRngs: Rng[]
  private readonly maxInFlight: number
  private readonly sink: RequestSink
  private readonly clock: Clock
  private readonly pool: ConnectionPool
  private readonly events: VisitEvents
  private readonly free: Visit[] = []
  private readonly all: Visit[] = []
  /** the visits waiting out a think time */
  private readonly think = new ThinkQueue<Visit>()

  constructor(options: VisitsOptions) {
    this.data = options.data
    this.dataRngs = options.flows.map((flow) =>
      createRng(options.seed, 0x10_0000 + options.shardIndex * 0x1000 + flow.index),
    )
    this.maxInFlight = options.maxInFlight
    this.sink = options.sink
    this.clock = options.clock
    this.pool = options.pool
    this.events = options.events
  }

  /** A flow's arrival at its intended time `atMs`: starts a visit, or drops it at the cap. */
  arrive(flow: CompiledFlow, atMs: number): void {
    this.arrivals++
    if (this.inFlight >= this.maxInFlight) {
      this.droppedArrivals++
      const eps = flow.stepEndpoints
      for (let i = 0; i < eps.length; i++) this.sink.dropped(eps[i]!)
      return
    }
    let visit = this.free.pop()
    if (visit === undefined) {
      visit = new Visit(this, this.data.names.length, this.sink, this.clock)
      this.all.push(visit)
    }
    this.inFlight++
    visit.active = true
    visit.flow = flow
    visit.stepIndex = 0
    visit.step = flow.steps[0]!
    visit.intendedMs = atMs
    visit.rng = this.dataRngs[flow.index]!
    visit.jar.clear()
    this.data.fill(visit.rng, visit.values)
    this.send(visit)
  }

  /** Sends the visit's current step, or queues it until a connection is free. */
  send(visit: Visit): void {
    this.pool.send(visit)
  }

  /** when the first visit waiting out a think time is due; Infinity when none is */
  thinkDueMs(): number {
    return this.think.peekMs()
  }

  /** Sends the next step of every visit whose think time is over by `now`. */
  resumeThinking(now: number): void {
    const think = this.think
    while (think.peekMs() <= now) {
      const visit = think.pop()!
      if (visit.active) this.send(visit)
    }
  }

  completed(visit: Visit): void {
    this.events.answered()
    const endMs = this.clock.now()
    const step = visit.step
    const status = visit.status
    // a browser that refuses the answer (CORS) gives the web app no status at all: the visit ends
    const corsRefused = !visit.corsAllowed()
    const ok = !corsRefused && status < 600 && step.ok[status] === 1
    visit.sending = false
    this.pool.answerTime(endMs - visit.sendMs)
    if (visit.conn !== undefined) {
      this.pool.answered(visit.conn)
      visit.conn = undefined
    }
    this.sink.response(
      step.endpoint,
      status,
      ok ? -1 : corsRefused ? CORS_KIND : ERROR_KIND_INDEX[classifyStatus(status)],
      visit.intendedMs,
      visit.sendMs,
      endMs,
    )
    const next = visit.stepIndex + 1
    if (!ok || next >= visit.flow.steps.length) {
      this.release(visit)
      return
    }
    visit.stepIndex = next
    const nextStep = visit.flow.steps[next]!
    visit.step = nextStep
    visit.intendedMs = endMs + nextStep.thinkMs
    if (nextStep.thinkMs > 0) {
      this.think.push(visit)
      if (this.think.peekMs() === visit.intendedMs) this.events.thinkQueued()
    } else {
      // after the transport's callback returns, as an awaited request() would
      queueMicrotask(visit.sendNext)
    }
  }

  errored(visit: Visit, error: Error): void {
    this.events.answered()
    visit.sending = false
    if (visit.conn !== undefined) {
      this.pool.answered(visit.conn)
      visit.conn = undefined
    }
    this.sink.failed(visit.step.endpoint, ERROR_KIND_INDEX[classifyError(error)])
    this.release(visit)
  }

  private release(visit: Visit): void {
    if (!visit.active) return
    this.pool.visitEnded(visit)
    visit.active = false
    visit.sending = false
    visit.waiting = false
    visit.waitingSinceMs = -1
    this.inFlight--
    this.free.push(visit)
    if (this.inFlight === 0) this.events.noneInFlight()
  }

  /**
   * The end (`now`: the run's time): visits waiting out a think time are let go; what is still
   * in flight, sent or waiting for a connection, counts as a timeout for the step it is on.
   */
  abandonAll(now: number): void {
    for (const visit of this.think.clear()) this.release(visit)
    for (const visit of this.all) {
      if (!visit.active) continue
      if (visit.waiting) {
        // never got a connection: ready since it began to wait, sent now as far as the counts
        // go, and timed out; the wait was the pool's
        this.sink.sent(visit.step.endpoint, visit.intendedMs, visit.waitingSinceMs)
        this.sink.connectionWait?.(visit.step.endpoint, now - visit.waitingSinceMs)
      }
      if (visit.sending || visit.waiting) {
        this.sink.failed(visit.step.endpoint, TIMEOUT_KIND)
        this.abandoned++
      }
      visit.active = false
      visit.sending = false
      visit.waiting = false
      // its own connection (a connection per visit) goes with the pool's, closed by the engine
      visit.ownConn = undefined
      visit.waitingSinceMs = -1
    }
    this.inFlight = 0
  }
}
