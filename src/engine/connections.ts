import { createRequire } from 'node:module'
import { isIP } from 'node:net'
import { performance } from 'node:perf_hooks'
import type { Client } from 'undici'
import { ConfigError } from '../errors.js'
import { RawConnection, type RawEndpoint } from './raw/connection.js'

/**
 * The engine's connections to the target: undici Clients (HTTP/1.1, one request at a time each)
 * handed out from a stack of idle ones, in O(1) per request.
 *
 * Why not undici's Pool: a Pool opens a new connection whenever every existing one is busy, and
 * a connection still connecting, or whose answer came but which undici lets rest one loop turn
 * before reuse, counts as busy. Started cold at 5000 req/s, or after the process stalled for a
 * moment, each waiting request then opens its own connection: ~1000 connections and a stall of
 * 100+ ms (measured). Here a new connection is opened only when the requests waiting cannot be
 * served by connections about to free up: when none is about to (every connection has a request
 * out at the server: a slow server needs more connections now), or when the oldest waiting request
 * has waited `growAfterMs` (a backlog too large for the connections freeing up). At most
 * `maxConnecting` are opened at once, at most `maxConnections` in all.
 *
 * A connection's states: in flight (a request out), then draining (its answer is in; undici emits
 * 'drain' one loop turn later, once the socket can be reused, and after errors), then idle.
 *
 * Two transports: `raw` (default; src/engine/raw/: a socket per connection, prebuilt request
 * bytes, a minimal HTTP/1.1 response parser, deadlines on one coarse tick of the pool) and
 * `undici` (a Client per connection). A raw connection is idle again as soon as its answer is in.
 * `CHECKIN_LOAD_TRANSPORT=undici` (or EngineOptions.transport) selects undici.
 */
export type Transport = 'raw' | 'undici'

export const TRANSPORTS: readonly Transport[] = ['raw', 'undici']

/** The transport from the environment (CHECKIN_LOAD_TRANSPORT), else `raw`. */
export function transportFromEnv(env: NodeJS.ProcessEnv = process.env): Transport {
  const value = env.CHECKIN_LOAD_TRANSPORT
  if (value === undefined || value === '') return 'raw'
  if (value === 'raw' || value === 'undici') return value
  throw new ConfigError(`CHECKIN_LOAD_TRANSPORT must be raw or undici, not "${value}"`)
}

/** undici, loaded on first use: the default transport does without it (~0.15 CPU-s to load) */
let undiciModule: typeof import('undici') | undefined
const undici = () => {
  undiciModule ??= createRequire(import.meta.url)('undici') as typeof import('undici')
  return undiciModule
}

/** how often the raw transport checks its deadlines (ms) */
const DEADLINE_TICK_MS = 20

export interface ConnectionOptions {
  readonly origin: string
  /** most connections (clients) */
  readonly maxConnections: number
  /** most new connections being opened at once */
  readonly maxConnecting: number
  readonly timeoutMs: number
  readonly ca?: string | Buffer
  readonly insecure?: boolean
  /** default: transportFromEnv() */
  readonly transport?: Transport
  /** called when a connection may have become available (idle, connected, or failed to) */
  readonly onAvailable: () => void
}

export class Connection {
  readonly kind = 'undici'
  connected = false
  /** opening its socket, and counted in the pool's `connecting` */
  connecting = false
  idle = false
  /** its request's answer is in; it becomes idle at undici's 'drain' */
  draining = false

  constructor(
    readonly client: Client,
    pool: ConnectionPool,
  ) {
    client.on('drain', () => pool.released(this))
    client.on('connect', () => {
      this.connected = true
      pool.connectDone(this)
    })
    client.on('connectionError', () => {
      this.connected = false
      pool.connectDone(this)
    })
    client.on('disconnect', () => {
      this.connected = false
    })
  }
}

export type PoolConnection = Connection | RawConnection

export class ConnectionPool {
  readonly transport: Transport
  private readonly all: PoolConnection[] = []
  private readonly idle: PoolConnection[] = []
  private readonly rawEndpoint: RawEndpoint | undefined
  private deadlineTimer: NodeJS.Timeout | undefined
  private connecting = 0
  private draining = 0
  private closed = false
  private readonly clientOptions: Client.Options

  constructor(private readonly options: ConnectionOptions) {
    this.clientOptions = {
      pipelining: 1,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      keepAliveTimeout: 10_000,
      connect: {
        timeout: options.timeoutMs,
        ...(options.ca !== undefined && { ca: options.ca }),
        ...(options.insecure && { rejectUnauthorized: false }),
      },
    }
    this.transport = options.transport ?? transportFromEnv()
    if (this.transport === 'raw') {
      const url = new URL(options.origin)
      const tls = url.protocol === 'https:'
      const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
      this.rawEndpoint = {
        host,
        port: url.port === '' ? (tls ? 443 : 80) : Number(url.port),
        tls,
        servername: tls && isIP(host) === 0 ? host : undefined,
        ca: options.ca,
        insecure: options.insecure === true,
        timeoutMs: options.timeoutMs,
      }
      this.deadlineTimer = setInterval(() => this.checkDeadlines(), DEADLINE_TICK_MS)
      this.deadlineTimer.unref()
    }
  }

  /** the raw transport's one coarse tick: requests and connects past their deadline fail */
  private checkDeadlines(): void {
    const now = performance.now()
    const all = this.all
    for (let i = 0; i < all.length; i++) {
      const conn = all[i]!
      if (conn.kind === 'raw') conn.checkDeadline(now)
    }
  }

  private stopTick(): void {
    if (this.deadlineTimer !== undefined) clearInterval(this.deadlineTimer)
    this.deadlineTimer = undefined
  }

  /** connections opened */
  get size(): number {
    return this.all.length
  }

  /** connections that will be free soon: answered and resting, or connecting */
  get comingFree(): number {
    return this.draining + this.connecting
  }

  /**
   * An idle connection; else a new one when `mayOpen` and the limits allow; else undefined (wait
   * for onAvailable).
   */
  acquire(mayOpen: boolean): PoolConnection | undefined {
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
    if (
      !mayOpen ||
      this.all.length >= this.options.maxConnections ||
      this.connecting >= this.options.maxConnecting
    ) {
      return undefined
    }
    const fresh =
      this.rawEndpoint !== undefined
        ? new RawConnection(this, this.rawEndpoint)
        : new Connection(new (undici().Client)(this.options.origin, this.clientOptions), this)
    this.all.push(fresh)
    fresh.connecting = true
    this.connecting++
    return fresh
  }

  /** Gives back a connection acquired but not used. */
  giveBack(conn: PoolConnection): void {
    if (conn.connecting) {
      conn.connecting = false
      this.connecting--
    }
    this.released(conn)
  }

  /** The answer (or failure) of the connection's request is in: it rests until undici's drain. */
  answered(conn: PoolConnection): void {
    if (conn.draining || conn.idle) return
    conn.draining = true
    this.draining++
  }

  /** @internal a client drained: it may take a request again */
  released(conn: PoolConnection): void {
    if (conn.draining) {
      conn.draining = false
      this.draining--
    }
    if (conn.idle || this.closed) return
    conn.idle = true
    this.idle.push(conn)
    this.options.onAvailable()
  }

  /** @internal a connection attempt ended (connected or failed) */
  connectDone(conn: PoolConnection): void {
    if (!conn.connecting) return
    conn.connecting = false
    this.connecting--
    this.options.onAvailable()
  }

  /** Closes every connection once its request (if any) is done. */
  async close(): Promise<void> {
    this.closed = true
    await Promise.all(
      this.all.map((conn) =>
        conn.kind === 'raw' ? conn.close() : conn.client.close().catch(() => conn.client.destroy()),
      ),
    )
    this.stopTick()
  }

  /** Ends every connection now; requests in flight fail. */
  async destroy(): Promise<void> {
    this.closed = true
    this.stopTick()
    await Promise.all(
      this.all.map((conn) => (conn.kind === 'raw' ? conn.destroy() : conn.client.destroy().catch(() => {}))),
    )
  }
}
