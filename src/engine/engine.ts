import { performance } from 'node:perf_hooks'
import type { Stage } from '../config/parse.js'
import { shareAt, stagesDurationMs } from '../profile/stages.js'
import { ArrivalStream, createArrivalProcess } from './arrivals.js'
import { Clock, type ClockKind } from './clock.js'
import { type CompiledFlow, compileFlows } from './flows.js'
import { ConnectionPool } from './pool.js'
import { createRng } from './rng.js'
import { createTransport, type HttpTransport, type Transport } from './transports/index.js'
import type { EngineHooks, EngineOptions, EngineResult, VisitDataSource } from './types.js'
import { UserScaleSchedule } from './user-scale.js'
import { type VisitEvents, Visits } from './visit.js'

export type { EngineOptions, EngineResult } from './types.js'

const NO_DATA: VisitDataSource = { names: [], fill() {} }

type Phase = 'idle' | 'running' | 'draining' | 'done'

/**
 * The open-model engine: one clock loop releases each flow's arrivals at their intended times,
 * each arrival runs its flow's steps as a visit (visit.ts) over a pool of HTTP/1.1 keep-alive
 * connections (pool.ts, transports/), and every request is measured from its intended time. A
 * slow server never slows the arrivals: work piles up in flight, up to `maxInFlight` flows; an
 * arrival that finds the cap full is dropped and counted (for every step of its flow).
 *
 * This file is the loop and the run's life: on each wake-up (clock.ts) it releases the arrivals
 * due, resumes the visits whose think time is over, sends what waits for a connection, folds the
 * seconds that ended, and sleeps until the next of these is due. At the end (stages over, or
 * stop()), arrivals stop and visits in flight may finish their steps for up to `drainTimeoutMs`;
 * what is still in flight then is abandoned (visit.ts counts it).
 */
export class Engine implements VisitEvents {
  readonly endpoints: readonly string[]
  readonly flows: readonly CompiledFlow[]
  private readonly httpTransport: HttpTransport
  private readonly pool: ConnectionPool
  private readonly visits: Visits
  private readonly clock: Clock
  private readonly hooks: EngineHooks
  private readonly streams: ArrivalStream[]
  /** the user's live factor on the stages' share (run --web) */
  private readonly userScale: UserScaleSchedule
  private readonly stages: readonly Stage[]
  private readonly startShare: number
  private readonly scale: number
  private readonly endMs: number
  private readonly drainTimeoutMs: number
  private readonly startAtMs: number | undefined

  private phase: Phase = 'idle'
  private startedAtMs = 0
  private second = 0
  private nextSecondMs = 1000
  private arrivalsEndMs = Number.POSITIVE_INFINITY
  private drainDeadlineMs = Number.POSITIVE_INFINITY
  private stopped = false
  /** releaseBetweenTicks is queued */
  private releaseQueued = false
  private aborted = false
  private resolveRun: ((result: EngineResult) => void) | undefined
  private rejectRun: ((error: unknown) => void) | undefined

  constructor(options: EngineOptions) {
    const url = new URL(options.target)
    const basePath = url.pathname.replace(/\/+$/, '')
    this.endpoints = options.endpoints
    const data = options.data ?? NO_DATA
    this.flows = compileFlows(options.flows, {
      endpoints: options.endpoints,
      variables: data.names,
      headers: options.headers ?? {},
      basePath,
    })
    this.hooks = options.hooks ?? {}
    this.stages = options.stages
    this.startShare = options.startShare ?? 0
    this.scale = options.scale
    this.endMs = stagesDurationMs(options.stages)
    this.drainTimeoutMs = options.drainTimeoutMs ?? options.timeoutMs + 1000
    this.startAtMs = options.startAtMs
    const shard = options.shard ?? { index: 0, count: 1 }
    this.userScale = new UserScaleSchedule(options.stages, this.startShare)
    this.streams = this.flows.map(
      (flow) =>
        new ArrivalStream(
          createArrivalProcess(options.arrival, createRng(options.seed, flow.index), shard),
          options.stages,
          (flow.arrivalsPerMinute * options.scale) / 60_000,
          this.endMs,
          this.startShare,
          this.userScale,
        ),
    )
    this.clock = new Clock(options.clock ?? 'timer', this.tick)
    this.httpTransport = createTransport(options.transport ?? 'raw', {
      origin: url.origin,
      flows: this.flows,
      timeoutMs: options.timeoutMs,
      ...(options.ca !== undefined && { ca: options.ca }),
      ...(options.insecure !== undefined && { insecure: options.insecure }),
      clock: this.clock,
    })
    this.pool = new ConnectionPool({
      transport: this.httpTransport,
      clock: this.clock,
      maxInFlight: options.maxInFlight,
      connections: options.connections,
      perVisit: options.connectionPerVisit,
    })
    this.visits = new Visits({
      flows: this.flows,
      data,
      seed: options.seed,
      shardIndex: shard.index,
      maxInFlight: options.maxInFlight,
      sink: options.sink,
      clock: this.clock,
      pool: this.pool,
      events: this,
    })
  }

  /** how the clock loop wakes */
  get clockKind(): ClockKind {
    return this.clock.kind
  }

  /** the HTTP/1.1 client in use */
  get transport(): Transport {
    return this.httpTransport.kind
  }

  /** flows in flight */
  get inFlight(): number {
    return this.visits.inFlight
  }

  /** Arrivals have stopped; visits in flight are finishing. */
  get draining(): boolean {
    return this.phase === 'draining' || this.phase === 'done'
  }

  /** The run's time (ms since time zero) now. */
  now(): number {
    return this.clock.now()
  }

  /** Runs the stages to their end (or to stop()/abort()), then drains. Resolves once the pool is closed. */
  run(): Promise<EngineResult> {
    if (this.phase !== 'idle') throw new Error('Engine.run() called twice')
    const wallNow = Date.now()
    const startAt = this.startAtMs ?? wallNow
    this.startedAtMs = startAt
    this.clock.t0 = performance.now() + (startAt - wallNow)
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
    this.beginDrain(this.clock.now())
    this.wake()
  }

  /**
   * The user scale (run --web): from run time `atMs` (default now; never earlier than now) the
   * stages' share is multiplied by `scale`, ramped over a second (user-scale.ts); 0 pauses the
   * arrivals at once. Every flow's pending arrival moves to where the new scale puts it.
   */
  setUserScale(scale: number, atMs?: number): void {
    if (this.phase === 'done' || this.phase === 'draining') return
    // before time zero, nothing to date it from: from the start
    if (this.phase === 'idle') atMs = 0
    const now = this.phase === 'idle' ? 0 : this.clock.now()
    this.userScale.set(Math.max(now, atMs ?? now), scale)
    for (const stream of this.streams) stream.reschedule()
    if (this.phase === 'running') this.wake()
  }

  /** The user scale from a wall-clock time (epoch ms): what a worker of `run --workers` is sent. */
  setUserScaleAtEpoch(scale: number, atEpochMs: number): void {
    this.setUserScale(scale, this.phase === 'idle' ? 0 : atEpochMs - this.startedAtMs)
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
      this.beginDrain(this.clock.now())
    }
    this.drainDeadlineMs = Number.NEGATIVE_INFINITY
    this.wake()
  }

  // ---- what the visits tell the loop (VisitEvents) ------------------------------------------------

  /** @internal an answer came in: the arrivals due since the last tick may leave now */
  answered(): void {
    if (this.releaseQueued || this.phase !== 'running') return
    this.releaseQueued = true
    queueMicrotask(this.releaseBetweenTicks)
  }

  /** @internal a think time ends before the loop's next wake-up: wake up earlier */
  thinkQueued(): void {
    if (this.phase === 'done') return
    this.schedule(this.clock.now())
  }

  /** @internal the last visit in flight ended: a draining run is over */
  noneInFlight(): void {
    if (this.phase === 'draining') this.wake()
  }

  // ---- the clock loop --------------------------------------------------------------------------

  private readonly tick = (): void => {
    this.clock.ticked()
    try {
      this.step()
    } catch (error) {
      this.fail(error)
    }
  }

  private step(): void {
    if (this.phase === 'done') return
    let now = this.clock.now()
    if (this.phase === 'running') {
      this.releaseArrivals(now)
      if (now >= this.endMs) this.beginDrain(this.endMs)
    }
    this.visits.resumeThinking(now)
    if (this.pool.hasWaiting) this.pool.sendWaiting()
    now = this.clock.now()
    while (now >= this.nextSecondMs) this.foldSecond()
    if (this.phase === 'draining' && (this.visits.inFlight === 0 || now >= this.drainDeadlineMs)) {
      this.finish(now)
      return
    }
    this.schedule(now)
  }

  /** Starts (or drops, at the cap) every arrival whose intended time has come. */
  private releaseArrivals(now: number): void {
    const streams = this.streams
    const visits = this.visits
    for (let f = 0; f < streams.length; f++) {
      const stream = streams[f]!
      while (stream.nextMs <= now) {
        visits.arrive(this.flows[f]!, stream.nextMs)
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
    const now = this.clock.now()
    if (now >= this.endMs) return // the tick ends the arrivals
    try {
      this.releaseArrivals(now)
    } catch (error) {
      this.fail(error)
    }
  }

  /** Sleeps until the next arrival, think time, growth check, second or drain deadline is due. */
  private schedule(now: number): void {
    // a tick is already queued (stop(), abort() or a drained run woke the loop): it reschedules
    if (this.clock.wakingSoon) return
    let due = this.nextSecondMs
    if (this.phase === 'running') {
      if (this.endMs < due) due = this.endMs
      for (const stream of this.streams) if (stream.nextMs < due) due = stream.nextMs
    } else if (this.drainDeadlineMs < due) {
      due = this.drainDeadlineMs
    }
    const thinkDue = this.visits.thinkDueMs()
    if (thinkDue < due) due = thinkDue
    const growDue = this.pool.growDueMs()
    if (growDue < due) due = growDue
    this.clock.wakeAt(due, now)
  }

  /** Runs the loop as soon as possible (drain finished, stop, abort). */
  private wake(): void {
    if (this.phase === 'done') return
    this.clock.wakeSoon()
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
      endOfSecond <= this.arrivalsEndMs
        ? shareAt(this.stages, endOfSecond, this.startShare) *
          this.scale *
          this.userScale.scaleAt(endOfSecond)
        : 0
    this.hooks.onSecond?.(this.second, share, this.visits.inFlight)
    this.second++
    this.nextSecondMs += 1000
  }

  private finish(now: number): void {
    this.phase = 'done'
    this.clock.stop()
    // what is still in flight is abandoned: a timeout for the step it is on
    this.visits.abandonAll(now)
    this.pool.clearWaiting()
    // the last, partial second (it began before the end)
    if (now > this.nextSecondMs - 1000) this.foldSecond()
    const visits = this.visits
    const closing = visits.abandoned > 0 ? this.pool.destroy() : this.pool.close()
    closing
      .catch(() => this.pool.destroy())
      .catch(() => {})
      .then(() => {
        this.resolveRun?.({
          startedAtMs: this.startedAtMs,
          endedAtMs: Date.now(),
          stopped: this.stopped,
          aborted: this.aborted,
          abandonedInFlight: visits.abandoned,
          arrivals: visits.arrivals,
          droppedArrivals: visits.droppedArrivals,
          connections: this.pool.size,
          waitedForConnection: this.pool.waitedForConnection,
        })
      })
  }

  private fail(error: unknown): void {
    this.phase = 'done'
    this.clock.stop()
    this.pool.destroy().catch(() => {})
    this.rejectRun?.(error)
  }
}
