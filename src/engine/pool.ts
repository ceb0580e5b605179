import { performance } from 'node:perf_hooks'
import type { HttpTransport, OutgoingRequest, PoolConnection, PoolLink } from './transports/index.js'

/**
 * The engine's connections to the target, the queue of requests waiting for one, and the whole
 * rule of when to open another: idle connections handed out from a stack in O(1) per request,
 * one request at a time each (HTTP/1.1 keep-alive, no pipelining).
 *
 * Why not undici's Pool: a Pool opens a new connection whenever every existing one is busy, and
 * a connection still connecting, or whose answer came but which undici lets rest one loop turn
 * before reuse, counts as busy. Started cold at 5000 req/s, or after the process stalled for a
 * moment, each waiting request then opens its own connection: ~1000 connections and a stall of
 * 100+ ms (measured). Here a request that finds no idle connection opens a new one only when the
 * requests waiting cannot be served by connections about to free up (`mayOpen`):
 * - the pool has none yet;
 * - or the oldest waiting request has waited GROW_AFTER_MS and the connections, not this process,
 *   kept it waiting (`waitedOnConnections`);
 * - or none is about to free up (none answered and resting, none connecting) and the server is
 *   slow (a moving average of answer times over GROW_AFTER_MS): a slow server needs more now.
 * At most MAX_CONNECTING are being opened at once, at most `maxConnections` in all. Otherwise the
 * request waits here, oldest first, and its send lag shows the wait.
 */

/** new connections being opened at once */
const MAX_CONNECTING = 16
/** connections when not given: min(maxInFlight, this) */
const DEFAULT_MAX_CONNECTIONS = 1024
/** a request waiting this long for a connection makes the pool open more (ms) */
const GROW_AFTER_MS = 3
/** ...and the event loop idle for at least this share of that wait (see waitedOnConnections) */
const IDLE_SHARE_TO_GROW = 0.25
/** weight of the latest answer time in the moving average */
const SERVICE_TIME_WEIGHT = 0.05

/** A request the pool sends or queues: the visit, with when it began to wait. */
export type PooledRequest = OutgoingRequest & {
  /** a connection per visit: the visit's own, from its first request to its end */
  ownConn: PoolConnection | undefined
  /** false once the visit has ended: its connection, when one comes, goes back unused */
  readonly active: boolean
  /** waiting in the queue for a free connection, since this time */
  waiting: boolean
  waitingSinceMs: number
  /** the event loop's idle time (performance.nodeTiming.idleTime) when it began to wait */
  waitingIdleMs: number
}

export interface PoolOptions {
  readonly transport: HttpTransport
  /** the run's time now (ms) */
  readonly clock: { now(): number }
  /** the most visits in flight */
  readonly maxInFlight: number
  /** the most connections; default min(maxInFlight, 1024) */
  readonly connections?: number | undefined
  /**
   * a connection per visit, as browsers: each visit opens its own keep-alive connection (TLS
   * handshake included) at its first request and closes it at its end; nothing waits, no limit
   * but the in-flight cap. `connections` is then ignored.
   */
  readonly perVisit?: boolean | undefined
}

export class ConnectionPool implements PoolLink {
  private readonly transport: HttpTransport
  private readonly clock: { now(): number }
  private readonly maxConnections: number
  private readonly all: PoolConnection[] = []
  private readonly idle: PoolConnection[] = []
  /** connections being opened */
  private connecting = 0
  /** connections answered and resting until their client says they are free */
  private draining = 0
  private closed = false
  /** requests waiting for a connection, from `waitingHead` on */
  private readonly waiting: PooledRequest[] = []
  private waitingHead = 0
  private waited = 0
  /** moving average of the time from send to answer (ms): is the server slow? */
  private serviceMs = 0
  private readonly perVisit: boolean
  /** per visit: the visits' connections open now (closed ones leave), and how many were opened */
  private readonly visitConns = new Set<PoolConnection>()
  private visitConnsOpened = 0
  private visitConnsMost = 0

  constructor(options: PoolOptions) {
    this.transport = options.transport
    this.clock = options.clock
    this.perVisit = options.perVisit === true
    this.maxConnections = options.connections ?? Math.min(options.maxInFlight, DEFAULT_MAX_CONNECTIONS)
  }

  /** connections opened */
  get size(): number {
    return this.perVisit ? this.visitConnsOpened : this.all.length
  }

  /** the most connections open at once */
  get mostOpen(): number {
    return this.perVisit ? this.visitConnsMost : this.all.length
  }

  /** requests that had to wait for a free connection */
  get waitedForConnection(): number {
    return this.waited
  }

  /** When the oldest waiting request will have waited GROW_AFTER_MS; Infinity when none waits. */
  growDueMs(): number {
    return this.waitingHead < this.waiting.length
      ? this.waiting[this.waitingHead]!.waitingSinceMs + GROW_AFTER_MS
      : Number.POSITIVE_INFINITY
  }

  get hasWaiting(): boolean {
    return this.waitingHead < this.waiting.length
  }

  /** Sends the request's current step, or queues it until a connection is free. */
  send(request: PooledRequest): void {
    if (this.perVisit) {
      this.sendOwn(request)
      return
    }
    const conn = this.waitingHead < this.waiting.length ? undefined : this.acquire(this.mayOpen(undefined, 0))
    if (conn === undefined) {
      request.waiting = true
      request.waitingSinceMs = this.clock.now()
      request.waitingIdleMs = performance.nodeTiming.idleTime
      this.waited++
      this.waiting.push(request)
      return
    }
    this.transport.dispatch(request, conn)
  }

  /**
   * The growth rule (the limits aside, see acquire): may a request that finds no idle connection
   * open one? `head`: the oldest waiting request, if it is for one of those (`now`: the run's time).
   */
  mayOpen(head: PooledRequest | undefined, now: number): boolean {
    return (
      this.all.length === 0 ||
      (head !== undefined && this.waitedOnConnections(head, now)) ||
      (this.draining + this.connecting === 0 && this.serviceMs > GROW_AFTER_MS)
    )
  }

  /**
   * The request has waited GROW_AFTER_MS for a connection, and the connections, not this process,
   * kept it waiting: the event loop sat idle for part of that wait (answers slow to come). A loop
   * busy the whole time (catching up after a stall, answers already in and unread) would gain
   * nothing from more connections and lose time opening them: at 5000 req/s one such catch-up
   * used to open connection after connection (60–300) and hold the send lag at 10–100 ms.
   */
  private waitedOnConnections(head: PooledRequest, now: number): boolean {
    const waited = now - head.waitingSinceMs
    if (waited < GROW_AFTER_MS) return false
    return performance.nodeTiming.idleTime - head.waitingIdleMs >= waited * IDLE_SHARE_TO_GROW
  }

  /** A connection per visit: the visit's own, opened at its first request. */
  private sendOwn(request: PooledRequest): void {
    let conn = request.ownConn
    if (conn === undefined) {
      if (this.closed) {
        request.onError(Object.assign(new Error('the run is over'), { code: 'UND_ERR_CLOSED' }))
        return
      }
      conn = this.transport.open(this)
      conn.connecting = true
      this.connecting++
      request.ownConn = conn
      this.visitConns.add(conn)
      this.visitConnsOpened++
      if (this.visitConns.size > this.visitConnsMost) this.visitConnsMost = this.visitConns.size
    }
    conn.idle = false
    this.transport.dispatch(request, conn)
  }

  /** The visit ended: its own connection (a connection per visit) closes, as a browser's tab. */
  visitEnded(request: PooledRequest): void {
    const conn = request.ownConn
    if (conn === undefined) return
    request.ownConn = undefined
    this.visitConns.delete(conn)
    if (conn.connecting) {
      conn.connecting = false
      this.connecting--
    }
    conn.close().catch(() => {})
  }

  /** A connection may be free (or the oldest waiting has waited long enough): send, oldest first. */
  sendWaiting(): void {
    const waiting = this.waiting
    const now = this.clock.now()
    while (this.waitingHead < waiting.length) {
      const conn = this.acquire(this.mayOpen(waiting[this.waitingHead]!, now))
      if (conn === undefined) break
      const request = waiting[this.waitingHead]!
      waiting[this.waitingHead++] = undefined as unknown as PooledRequest
      request.waiting = false
      if (request.active) this.transport.dispatch(request, conn)
      else this.giveBack(conn)
    }
    if (this.waitingHead === waiting.length) {
      waiting.length = 0
      this.waitingHead = 0
    } else if (this.waitingHead > 1024 && this.waitingHead * 2 > waiting.length) {
      waiting.splice(0, this.waitingHead)
      this.waitingHead = 0
    }
  }

  /** The end: nothing waits any more (the visits counted what was waiting). */
  clearWaiting(): void {
    this.waiting.length = 0
    this.waitingHead = 0
  }

  /** An answer came `ms` after its send: the moving average the growth rule reads. */
  answerTime(ms: number): void {
    this.serviceMs += (ms - this.serviceMs) * SERVICE_TIME_WEIGHT
  }

  /** The answer (or failure) of the connection's request is in: it rests until its client is free. */
  answered(conn: PoolConnection): void {
    if (conn.draining || conn.idle) return
    conn.draining = true
    this.draining++
  }

  /** @internal (PoolLink) the connection may take a request again */
  released(conn: PoolConnection): void {
    if (conn.draining) {
      conn.draining = false
      this.draining--
    }
    if (conn.idle || this.closed) return
    conn.idle = true
    // a visit's own connection waits for its visit's next request, not in the shared stack
    if (this.perVisit) return
    this.idle.push(conn)
    this.sendWaiting()
  }

  /** @internal (PoolLink) a connection attempt ended (connected or failed) */
  connectDone(conn: PoolConnection): void {
    if (!conn.connecting) return
    conn.connecting = false
    this.connecting--
    this.sendWaiting()
  }

  /** Closes every connection once its request (if any) is done. */
  async close(): Promise<void> {
    this.closed = true
    await Promise.all([...this.all, ...this.visitConns].map((conn) => conn.close()))
    this.visitConns.clear()
    this.transport.stop()
  }

  /** Ends every connection now; requests in flight fail. */
  async destroy(): Promise<void> {
    this.closed = true
    this.transport.stop()
    await Promise.all([...this.all, ...this.visitConns].map((conn) => conn.destroy()))
    this.visitConns.clear()
  }

  /**
   * An idle connection; else a new one when `mayOpen` and the limits allow; else undefined (wait
   * for a connection to be released).
   */
  private acquire(mayOpen: boolean): PoolConnection | undefined {
    if (this.closed) return undefined
    const conn = this.idle.pop()
    if (conn !== undefined) {
      conn.idle = false
      if (!conn.connected && !conn.connecting) {
        conn.connecting = true
        this.connecting++
      }
      return conn
    }
    if (!mayOpen || this.all.length >= this.maxConnections || this.connecting >= MAX_CONNECTING) {
      return undefined
    }
    const fresh = this.transport.open(this)
    this.all.push(fresh)
    fresh.connecting = true
    this.connecting++
    return fresh
  }

  /** Gives back a connection acquired but not used. */
  private giveBack(conn: PoolConnection): void {
    if (conn.connecting) {
      conn.connecting = false
      this.connecting--
    }
    this.released(conn)
  }
}
