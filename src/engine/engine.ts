import { performance } from 'node:perf_hooks'
import type { Dispatcher } from 'undici'
import type { Stage } from '../config/parse.js'
import { shareAt, stagesDurationMs } from '../profile/stages.js'
import type { FlowSpec } from '../profile/types.js'
import { type ArrivalKind, ArrivalStream, createArrivalProcess, type ShardSlice } from './arrivals.js'
import { classifyError, classifyStatus, ERROR_KIND_INDEX } from './classify.js'
import { ConnectionPool, type PoolConnection, type Transport } from './connections.js'
import { CookieJar, isSetCookieName } from './cookies.js'
import { type CompiledFlow, type CompiledStep, compileFlows } from './flows.js'
import { type ClockKind, clockFromEnv, PreciseClock } from './precise-clock.js'
import type { RawHandler } from './raw/connection.js'
import {
  buildRawRequest,
  isAscii,
  type RawRequest,
  renderRawRequest,
  safeHeaderValue,
} from './raw/request.js'
import { createRng, type Rng } from './rng.js'
import type { EngineHooks, RequestSink, VisitDataSource } from './types.js'

/**
 * The open-model engine: one clock loop releases each flow's arrivals at their intended times,
 * each arrival runs its flow's steps in order over one undici Pool (HTTP/1.1 keep-alive), and every
 * request is measured from its intended time. A slow server never slows the arrivals: work piles
 * up in flight, up to `maxInFlight` flows; an arrival that finds the cap full is dropped and
 * counted (for every step of its flow).
 *
 * Hot path: a visit object IS the undici dispatch handler (legacy shape, which undici 7 passes
 * through without an adapter), reused from a free list; header arrays and templates are
 * prebuilt per step; measurements go to the sink by method call into fixed arrays.
 *
 * Rules of a visit:
 * - the first step's intended time is the arrival time; a later step's is the previous step's end
 *   plus the step's think time;
 * - a step that fails (unexpected status or transport error) ends the visit: its remaining steps
 *   are not sent, and are neither asked nor dropped;
 * - at the end (stages over, or stop()), arrivals stop and visits in flight may finish their
 *   steps for up to `drainTimeoutMs`; what is still in flight then is counted as `timeout` for the
 *   step it was on (`abandonedInFlight` flows), and visits waiting out a think time are let go
 *   without counting their unsent steps.
 */
export interface EngineOptions {
  /** origin of the target, optionally with a base path: http://127.0.0.1:3000 or https://host/prefix */
  readonly target: string
  readonly flows: readonly FlowSpec[]
  /** endpoint ids: a step's endpoint number is its index here */
  readonly endpoints: readonly string[]
  readonly stages: readonly Stage[]
  /** share before the first stage (the first stage ramps from it); default 0, 1 for a plain hold */
  readonly startShare?: number
  /** multiplies every flow's arrivals */
  readonly scale: number
  readonly arrival: ArrivalKind
  readonly seed: number
  /** run the index-th of count slices of every flow's arrivals */
  readonly shard?: ShardSlice
  /** wall-clock time zero (epoch ms); default: now */
  readonly startAtMs?: number
  /** most visits (flows) in flight at once */
  readonly maxInFlight: number
  /** TCP connections; default min(maxInFlight, 1024) */
  readonly connections?: number
  /** per-request connect, headers and body timeouts (ms) */
  readonly timeoutMs: number
  /**
   * how long in-flight visits may finish after arrivals stop (ms); default timeoutMs + 1 s, so
   * that requests sent last time out by their own timeout before the drain gives up on them
   */
  readonly drainTimeoutMs?: number
  /** headers on every request (names lower-case), secrets already resolved */
  readonly headers?: Readonly<Record<string, string>>
  /** PEM of a CA to trust */
  readonly ca?: string | Buffer
  /** accept any certificate */
  readonly insecure?: boolean
  /**
   * the HTTP/1.1 client: `raw` (sockets, prebuilt request bytes, src/engine/raw/) or `undici`;
   * default from CHECKIN_LOAD_TRANSPORT, else `raw`
   */
  readonly transport?: Transport
  /**
   * how the clock loop wakes for an arrival due within 2 ms: `timer` (Node's, 0–1.1 ms late) or
   * `precise` (a worker thread, ~0.1 ms late, more CPU: src/engine/precise-clock.ts); default from
   * CHECKIN_LOAD_CLOCK, else `timer`
   */
  readonly clock?: ClockKind
  /** per-visit template values; default: none (templates must not use variables) */
  readonly data?: VisitDataSource
  readonly sink: RequestSink
  readonly hooks?: EngineHooks
}

export interface EngineResult {
  /** epoch ms of time zero */
  readonly startedAtMs: number
  /** epoch ms when the engine finished */
  readonly endedAtMs: number
  /** true when stop() ended the arrivals before the stages did */
  readonly stopped: boolean
  /** true when abort() cut the drain short */
  readonly aborted: boolean
  /** visits still in flight when the drain ended, counted as timeouts */
  readonly abandonedInFlight: number
  readonly arrivals: number
  readonly droppedArrivals: number
  /** connections opened (at most `connections`) */
  readonly connections: number
  /** requests that had to wait for a free connection */
  readonly waitedForConnection: number
}

const NO_DATA: VisitDataSource = { names: [], fill() {} }
const TIMEOUT_KIND = ERROR_KIND_INDEX.timeout
const DEFAULT_MAX_CONNECTIONS = 1024
/** new connections being opened at once (see ConnectionPool) */
const MAX_CONNECTING = 16
/** a request waiting this long for a connection makes the pool open more (ms) */
const GROW_AFTER_MS = 3
/** ...and the event loop idle for at least this share of that wait (see waitedOnConnections) */
const IDLE_SHARE_TO_GROW = 0.25
/** a wake-up due sooner than this goes to the precise clock, a later one to a timer */
const PRECISE_WITHIN_MS = 2
/** the least time between two precise wake-ups (ms) */
const PRECISE_EVERY_MS = 0.25

type Phase = 'idle' | 'running' | 'draining' | 'done'

/** One visit: a flow instance, and the undici handler of its current request. */
class Visit implements Dispatcher.DispatchHandler, RawHandler {
  flow!: CompiledFlow
  step!: CompiledStep
  stepIndex = 0
  rng!: Rng
  intendedMs = 0
  sendMs = 0
  status = 0
  /** a request of this visit is in flight */
  sending = false
  /** waiting in the engine's queue for a free connection, since this time */
  waiting = false
  waitingSinceMs = 0
  /** the event loop's idle time (performance.nodeTiming.idleTime) when it began to wait */
  waitingIdleMs = 0
  /** the connection of the request in flight */
  conn: PoolConnection | undefined = undefined
  active = false
  readonly values: string[]
  readonly jar = new CookieJar()
  readonly headerBuf: string[] = []
  readonly opts: { path: string; method: Dispatcher.HttpMethod; headers: string[]; body: string | null }
  /** bound once: the next step, run from a microtask after a completion */
  readonly sendNext: () => void

  constructor(
    private readonly engine: Engine,
    variables: number,
  ) {
    this.values = new Array<string>(variables).fill('')
    this.opts = { path: '/', method: 'GET', headers: this.headerBuf, body: null }
    this.sendNext = () => {
      if (this.active) engine.send(this)
    }
  }

  onConnect(): void {}

  onHeaders(statusCode: number, headers: Buffer[]): boolean {
    this.status = statusCode
    for (let i = 0; i < headers.length; i += 2) {
      if (isSetCookieName(headers[i]!)) this.jar.set(headers[i + 1]!.toString('latin1'))
    }
    return true
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
    if (this.active && this.sending) this.engine.completed(this)
  }

  onError(error: Error): void {
    if (this.active && this.sending) this.engine.errored(this, error)
  }
}

/** A binary min-heap of visits by intended time: the visits waiting out a think time. */
class ThinkQueue {
  private readonly items: Visit[] = []
  get size(): number {
    return this.items.length
  }
  peekMs(): number {
    return this.items.length > 0 ? this.items[0]!.intendedMs : Number.POSITIVE_INFINITY
  }
  push(visit: Visit): void {
    const items = this.items
    items.push(visit)
    let i = items.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (items[parent]!.intendedMs <= visit.intendedMs) break
      items[i] = items[parent]!
      i = parent
    }
    items[i] = visit
  }
  pop(): Visit | undefined {
    const items = this.items
    const top = items[0]
    const last = items.pop()
    if (top === undefined || last === undefined || items.length === 0) return top
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= items.length) break
      const r = l + 1
      const c = r < items.length && items[r]!.intendedMs < items[l]!.intendedMs ? r : l
      if (items[c]!.intendedMs >= last.intendedMs) break
      items[i] = items[c]!
      i = c
    }
    items[i] = last
    return top
  }
  clear(): Visit[] {
    return this.items.splice(0)
  }
}

export class Engine {
  readonly endpoints: readonly string[]
  readonly flows: readonly CompiledFlow[]
  private readonly pool: ConnectionPool
  /** per flow, per step: the raw transport's prebuilt request bytes (empty with undici) */
  private readonly rawRequests: readonly (readonly RawRequest[])[]
  /** visits waiting for a connection, from `waitingHead` on */
  private readonly waiting: Visit[] = []
  private waitingHead = 0
  private waitedForConnection = 0
  /** moving average of the time from send to answer (ms): is the server slow? */
  private serviceMs = 0
  private readonly sink: RequestSink
  private readonly hooks: EngineHooks
  private readonly data: VisitDataSource
  private readonly streams: ArrivalStream[]
  private readonly dataRngs: Rng[]
  private readonly free: Visit[] = []
  private readonly all: Visit[] = []
  private readonly think = new ThinkQueue()
  private readonly stages: readonly Stage[]
  private readonly startShare: number
  private readonly scale: number
  private readonly endMs: number
  private readonly maxInFlight: number
  private readonly drainTimeoutMs: number
  private readonly startAtMs: number | undefined

  private phase: Phase = 'idle'
  /** performance.now() at the run's time zero */
  private t0 = 0
  private startedAtMs = 0
  private timer: NodeJS.Timeout | undefined
  private immediate: NodeJS.Immediate | undefined
  private second = 0
  private nextSecondMs = 1000
  private arrivalsEndMs = Number.POSITIVE_INFINITY
  private drainDeadlineMs = Number.POSITIVE_INFINITY
  private stopped = false
  /** releaseBetweenTicks is queued */
  private releaseQueued = false
  private aborted = false
  private abandoned = 0
  private arrivals = 0
  private droppedArrivals = 0
  private resolveRun: ((result: EngineResult) => void) | undefined
  private rejectRun: ((error: unknown) => void) | undefined
  /** flows in flight */
  inFlight = 0
  /** sub-millisecond wake-ups for arrivals due within the next 2 ms (see PreciseClock) */
  private readonly clock: PreciseClock | undefined
  private preciseWokeMs = Number.NEGATIVE_INFINITY

  constructor(options: EngineOptions) {
    const url = new URL(options.target)
    const basePath = url.pathname.replace(/\/+$/, '')
    this.endpoints = options.endpoints
    this.data = options.data ?? NO_DATA
    this.flows = compileFlows(options.flows, {
      endpoints: options.endpoints,
      variables: this.data.names,
      headers: options.headers ?? {},
      basePath,
    })
    this.sink = options.sink
    this.hooks = options.hooks ?? {}
    this.stages = options.stages
    this.startShare = options.startShare ?? 0
    this.scale = options.scale
    this.endMs = stagesDurationMs(options.stages)
    this.maxInFlight = options.maxInFlight
    this.drainTimeoutMs = options.drainTimeoutMs ?? options.timeoutMs + 1000
    this.startAtMs = options.startAtMs
    const shard = options.shard ?? { index: 0, count: 1 }
    this.streams = this.flows.map(
      (flow) =>
        new ArrivalStream(
          createArrivalProcess(options.arrival, createRng(options.seed, flow.index), shard),
          options.stages,
          (flow.arrivalsPerMinute * options.scale) / 60_000,
          this.endMs,
          this.startShare,
        ),
    )
    this.dataRngs = this.flows.map((flow) =>
      createRng(options.seed, 0x10_0000 + shard.index * 0x1000 + flow.index),
    )
    this.pool = new ConnectionPool({
      origin: url.origin,
      maxConnections: options.connections ?? Math.min(options.maxInFlight, DEFAULT_MAX_CONNECTIONS),
      maxConnecting: MAX_CONNECTING,
      timeoutMs: options.timeoutMs,
      ...(options.ca !== undefined && { ca: options.ca }),
      ...(options.insecure !== undefined && { insecure: options.insecure }),
      ...(options.transport !== undefined && { transport: options.transport }),
      onAvailable: () => this.sendWaiting(),
    })
    this.clock =
      (options.clock ?? clockFromEnv()) === 'precise' ? new PreciseClock(() => this.preciseWake()) : undefined
    this.rawRequests =
      this.pool.transport === 'raw'
        ? this.flows.map((flow) => flow.steps.map((step) => buildRawRequest(step, url.host)))
        : []
  }

  /** how the clock loop wakes */
  get clockKind(): ClockKind {
    return this.clock === undefined ? 'timer' : 'precise'
  }

  /** the HTTP/1.1 client in use */
  get transport(): Transport {
    return this.pool.transport
  }

  /** Arrivals have stopped; visits in flight are finishing. */
  get draining(): boolean {
    return this.phase === 'draining' || this.phase === 'done'
  }

  /** The run's time (ms since time zero) now. */
  now(): number {
    return performance.now() - this.t0
  }

  /** Runs the stages to their end (or to stop()/abort()), then drains. Resolves once the pool is closed. */
  run(): Promise<EngineResult> {
    if (this.phase !== 'idle') throw new Error('Engine.run() called twice')
    const wallNow = Date.now()
    const startAt = this.startAtMs ?? wallNow
    this.startedAtMs = startAt
    this.t0 = performance.now() + (startAt - wallNow)
    this.phase = 'running'
    if (this.stopped) this.beginDrain(0)
    this.hooks.onStart?.(startAt)
    return new Promise<EngineResult>((resolve, reject) => {
      this.resolveRun = resolve
      this.rejectRun = reject
      this.tick()
    })
  }

  /** Graceful end: no more arrivals; visits in flight may finish within the drain timeout. */
  stop(): void {
    if (this.phase === 'idle') this.stopped = true // run() then ends at once
    if (this.phase !== 'running') return
    this.stopped = true
    this.beginDrain(this.now())
    this.wake()
  }

  /** Ends now: what is in flight is counted as timeouts. */
  abort(): void {
    if (this.phase === 'idle') {
      this.stopped = true
      this.aborted = true
    }
    if (this.phase === 'done' || this.phase === 'idle') return
    this.aborted = true
    if (this.phase === 'running') {
      this.stopped = true
      this.beginDrain(this.now())
    }
    this.drainDeadlineMs = Number.NEGATIVE_INFINITY
    this.wake()
  }

  // ---- the clock loop --------------------------------------------------------------------------

  private readonly tick = (): void => {
    this.timer = undefined
    this.immediate = undefined
    try {
      this.step()
    } catch (error) {
      this.fail(error)
    }
  }

  private step(): void {
    if (this.phase === 'done') return
    let now = this.now()
    if (this.phase === 'running') {
      this.releaseArrivals(now)
      if (now >= this.endMs) this.beginDrain(this.endMs)
    }
    while (this.think.peekMs() <= now) {
      const visit = this.think.pop()!
      if (visit.active) this.send(visit)
    }
    if (this.waitingHead < this.waiting.length) this.sendWaiting()
    now = this.now()
    while (now >= this.nextSecondMs) this.foldSecond()
    if (this.phase === 'draining' && (this.inFlight === 0 || now >= this.drainDeadlineMs)) {
      this.finish(now)
      return
    }
    this.schedule(now)
  }

  /** Starts (or drops, at the cap) every arrival whose intended time has come. */
  private releaseArrivals(now: number): void {
    const streams = this.streams
    for (let f = 0; f < streams.length; f++) {
      const stream = streams[f]!
      while (stream.nextMs <= now) {
        this.arrive(this.flows[f]!, stream.nextMs)
        stream.advance()
      }
    }
  }

  /**
   * The loop is awake for an answer anyway: arrivals that came due since the last tick leave now,
   * not at the next tick of the ~1 ms timer. That halves the first step's send lag, evens out the
   * server's count per 10 ms, and lets a visit that ends at the in-flight cap be replaced at once.
   * Run as a microtask: after the connection's callback has returned, once per batch of answers.
   */
  private readonly releaseBetweenTicks = (): void => {
    this.releaseQueued = false
    if (this.phase !== 'running') return
    const now = this.now()
    if (now >= this.endMs) return // the tick ends the arrivals
    try {
      this.releaseArrivals(now)
    } catch (error) {
      this.fail(error)
    }
  }

  private queueRelease(): void {
    if (this.releaseQueued || this.phase !== 'running') return
    this.releaseQueued = true
    queueMicrotask(this.releaseBetweenTicks)
  }

  private schedule(now: number): void {
    // a tick is already queued (stop(), abort() or a drained run woke the loop): it reschedules
    if (this.immediate !== undefined) return
    if (this.timer !== undefined) clearTimeout(this.timer)
    let due = this.nextSecondMs
    if (this.phase === 'running') {
      if (this.endMs < due) due = this.endMs
      for (const stream of this.streams) if (stream.nextMs < due) due = stream.nextMs
    } else if (this.drainDeadlineMs < due) {
      due = this.drainDeadlineMs
    }
    const thinkDue = this.think.peekMs()
    if (thinkDue < due) due = thinkDue
    if (this.waitingHead < this.waiting.length) {
      const growDue = this.waiting[this.waitingHead]!.waitingSinceMs + GROW_AFTER_MS
      if (growDue < due) due = growDue
    }
    const delay = due - now
    if (this.clock !== undefined && delay < PRECISE_WITHIN_MS) {
      // at most one wake-up per PRECISE_EVERY_MS: a dense stream leaves a few arrivals per wake-up
      this.clock.wakeAt(this.t0 + Math.max(due, this.preciseWokeMs + PRECISE_EVERY_MS))
      // a net under the worker: it cannot stop the loop
      this.timer = setTimeout(this.tick, PRECISE_WITHIN_MS + 3)
      return
    }
    this.clock?.cancel()
    // Node's timers have 1 ms granularity: sleep the whole milliseconds, release what is due on waking.
    this.timer = setTimeout(this.tick, delay > 1 ? Math.floor(delay) : 1)
  }

  private preciseWake(): void {
    this.preciseWokeMs = this.now()
    if (this.timer !== undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    if (this.immediate === undefined) this.tick()
  }

  /** Runs the loop as soon as possible (drain finished, stop, abort). */
  private wake(): void {
    if (this.phase === 'done' || this.immediate !== undefined) return
    if (this.timer !== undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    this.immediate = setImmediate(this.tick)
  }

  private beginDrain(atMs: number): void {
    if (this.phase !== 'running') return
    this.phase = 'draining'
    this.arrivalsEndMs = atMs
    for (const stream of this.streams) stream.end()
    this.drainDeadlineMs = this.aborted ? Number.NEGATIVE_INFINITY : atMs + this.drainTimeoutMs
  }

  private foldSecond(): void {
    const endOfSecond = this.nextSecondMs
    const share =
      endOfSecond <= this.arrivalsEndMs ? shareAt(this.stages, endOfSecond, this.startShare) * this.scale : 0
    this.hooks.onSecond?.(this.second, share, this.inFlight)
    this.second++
    this.nextSecondMs += 1000
  }

  private finish(now: number): void {
    this.phase = 'done'
    void this.clock?.close()
    if (this.timer !== undefined) clearTimeout(this.timer)
    if (this.immediate !== undefined) clearImmediate(this.immediate)
    this.timer = undefined
    this.immediate = undefined
    for (const visit of this.think.clear()) this.release(visit)
    // what is still in flight is abandoned: a timeout for the step it is on
    for (const visit of this.all) {
      if (!visit.active) continue
      if (visit.waiting) {
        // never got a connection: sent now, as far as the counts go, and timed out
        this.sink.sent(visit.step.endpoint, visit.intendedMs, now)
      }
      if (visit.sending || visit.waiting) {
        this.sink.failed(visit.step.endpoint, TIMEOUT_KIND)
        this.abandoned++
      }
      visit.active = false
      visit.sending = false
      visit.waiting = false
    }
    this.waiting.length = 0
    this.waitingHead = 0
    this.inFlight = 0
    // the last, partial second (it began before the end)
    if (now > this.nextSecondMs - 1000) this.foldSecond()
    const closing = this.abandoned > 0 ? this.pool.destroy() : this.pool.close()
    closing
      .catch(() => this.pool.destroy())
      .catch(() => {})
      .then(() => {
        this.resolveRun?.({
          startedAtMs: this.startedAtMs,
          endedAtMs: Date.now(),
          stopped: this.stopped,
          aborted: this.aborted,
          abandonedInFlight: this.abandoned,
          arrivals: this.arrivals,
          droppedArrivals: this.droppedArrivals,
          connections: this.pool.size,
          waitedForConnection: this.waitedForConnection,
        })
      })
  }

  private fail(error: unknown): void {
    this.phase = 'done'
    void this.clock?.close()
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.pool.destroy().catch(() => {})
    this.rejectRun?.(error)
  }

  // ---- visits --------------------------------------------------------------------------------

  private arrive(flow: CompiledFlow, atMs: number): void {
    this.arrivals++
    if (this.inFlight >= this.maxInFlight) {
      this.droppedArrivals++
      const eps = flow.stepEndpoints
      for (let i = 0; i < eps.length; i++) this.sink.dropped(eps[i]!)
      return
    }
    let visit = this.free.pop()
    if (visit === undefined) {
      visit = new Visit(this, this.data.names.length)
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
    const conn =
      this.waitingHead < this.waiting.length
        ? undefined
        : // the first connection, or none coming free soon and a slow server: open one now
          this.pool.acquire(
            this.pool.size === 0 || (this.pool.comingFree === 0 && this.serviceMs > GROW_AFTER_MS),
          )
    if (conn === undefined) {
      visit.waiting = true
      visit.waitingSinceMs = this.now()
      visit.waitingIdleMs = performance.nodeTiming.idleTime
      this.waitedForConnection++
      this.waiting.push(visit)
      return
    }
    this.dispatch(visit, conn)
  }

  /**
   * The visit has waited GROW_AFTER_MS for a connection, and the connections, not this process,
   * kept it waiting: the event loop sat idle for part of that wait (answers slow to come). A loop
   * busy the whole time (catching up after a stall, answers already in and unread) would gain
   * nothing from more connections and lose time opening them: at 5000 req/s one such catch-up
   * used to open connection after connection (60–300) and hold the send lag at 10–100 ms.
   */
  private waitedOnConnections(visit: Visit, now: number): boolean {
    const waited = now - visit.waitingSinceMs
    if (waited < GROW_AFTER_MS) return false
    return performance.nodeTiming.idleTime - visit.waitingIdleMs >= waited * IDLE_SHARE_TO_GROW
  }

  /** A connection may be free (or the oldest waiting has waited long enough): send, oldest first. */
  private sendWaiting(): void {
    const waiting = this.waiting
    const now = this.now()
    while (this.waitingHead < waiting.length) {
      const head = waiting[this.waitingHead]!
      const mayOpen =
        this.pool.size === 0 ||
        this.waitedOnConnections(head, now) ||
        (this.pool.comingFree === 0 && this.serviceMs > GROW_AFTER_MS)
      const conn = this.pool.acquire(mayOpen)
      if (conn === undefined) break
      const visit = waiting[this.waitingHead]!
      waiting[this.waitingHead++] = undefined as unknown as Visit
      visit.waiting = false
      if (visit.active) this.dispatch(visit, conn)
      else this.pool.giveBack(conn)
    }
    if (this.waitingHead === waiting.length) {
      waiting.length = 0
      this.waitingHead = 0
    } else if (this.waitingHead > 1024 && this.waitingHead * 2 > waiting.length) {
      waiting.splice(0, this.waitingHead)
      this.waitingHead = 0
    }
  }

  private dispatch(visit: Visit, conn: PoolConnection): void {
    const step = visit.step
    const values = visit.values
    if (conn.kind === 'raw') {
      this.dispatchRaw(visit, conn, step, values)
      return
    }
    const opts = visit.opts
    opts.method = step.method as Dispatcher.HttpMethod
    opts.path = step.path.isStatic ? step.path.parts[0]! : step.path.render(values)
    opts.body =
      step.body === null ? null : step.body.isStatic ? step.body.parts[0]! : step.body.render(values)
    const headers = visit.headerBuf
    headers.length = 0
    const base = step.headers
    for (let i = 0; i < base.length; i++) headers.push(base[i]!)
    const dynamic = step.dynamicHeaders
    for (let i = 0; i < dynamic.length; i++) headers.push(dynamic[i]![0], dynamic[i]![1].render(values))
    if (visit.jar.header !== '') headers.push('cookie', visit.jar.header)
    visit.status = 0
    visit.sending = true
    visit.conn = conn
    const sendMs = this.now()
    visit.sendMs = sendMs
    this.sink.sent(step.endpoint, visit.intendedMs, sendMs)
    // dispatch may call onError synchronously (client closed): the visit is released there
    conn.client.dispatch(opts, visit)
  }

  private dispatchRaw(
    visit: Visit,
    conn: PoolConnection & { kind: 'raw' },
    step: CompiledStep,
    values: readonly string[],
  ): void {
    const raw = this.rawRequests[visit.flow.index]![visit.stepIndex]!
    const path = step.path.isStatic ? step.path.parts[0]! : step.path.render(values)
    const body =
      step.body === null ? null : step.body.isStatic ? step.body.parts[0]! : step.body.render(values)
    const bodyBytes = body === null ? 0 : Buffer.byteLength(body)
    // an all-ASCII request is written as latin1: the same bytes, ~9% cheaper (bench/raw-writes.ts)
    let latin1 = raw.ascii && (body === null || bodyBytes === body.length)
    let extra = ''
    const dynamic = step.dynamicHeaders
    for (let i = 0; i < dynamic.length; i++) {
      const value = safeHeaderValue(dynamic[i]![1].render(values))
      if (latin1 && !isAscii(value)) latin1 = false
      extra += `${dynamic[i]![0]}: ${value}\r\n`
    }
    const request = renderRawRequest(raw, path, extra, visit.jar.header, body, bodyBytes)
    visit.status = 0
    visit.sending = true
    visit.conn = conn
    const sendMs = this.now()
    visit.sendMs = sendMs
    this.sink.sent(step.endpoint, visit.intendedMs, sendMs)
    conn.send(request, visit, raw.head, this.t0 + sendMs, latin1)
  }

  completed(visit: Visit): void {
    this.queueRelease()
    const endMs = this.now()
    const step = visit.step
    const status = visit.status
    const ok = status < 600 && step.ok[status] === 1
    visit.sending = false
    this.serviceMs += (endMs - visit.sendMs - this.serviceMs) * 0.05
    if (visit.conn !== undefined) {
      this.pool.answered(visit.conn)
      visit.conn = undefined
    }
    this.sink.response(
      step.endpoint,
      status,
      ok ? -1 : ERROR_KIND_INDEX[classifyStatus(status)],
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
      if (this.think.peekMs() === visit.intendedMs) this.reschedule()
    } else {
      // after undici's callback returns, as an awaited request() would
      queueMicrotask(visit.sendNext)
    }
  }

  errored(visit: Visit, error: Error): void {
    this.queueRelease()
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
    visit.active = false
    visit.sending = false
    visit.waiting = false
    this.inFlight--
    this.free.push(visit)
    if (this.phase === 'draining' && this.inFlight === 0) this.wake()
  }

  /** A think time ends before the loop's next wake-up: wake up earlier. */
  private reschedule(): void {
    if (this.phase === 'done') return
    this.schedule(this.now())
  }
}
