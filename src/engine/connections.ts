import { Client } from 'undici'

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
 */
export interface ConnectionOptions {
  readonly origin: string
  /** most connections (clients) */
  readonly maxConnections: number
  /** most new connections being opened at once */
  readonly maxConnecting: number
  readonly timeoutMs: number
  readonly ca?: string | Buffer
  readonly insecure?: boolean
  /** called when a connection may have become available (idle, connected, or failed to) */
  readonly onAvailable: () => void
}

export class Connection {
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

export class ConnectionPool {
  private readonly all: Connection[] = []
  private readonly idle: Connection[] = []
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
  acquire(mayOpen: boolean): Connection | undefined {
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
    const fresh = new Connection(new Client(this.options.origin, this.clientOptions), this)
    this.all.push(fresh)
    fresh.connecting = true
    this.connecting++
    return fresh
  }

  /** Gives back a connection acquired but not used. */
  giveBack(conn: Connection): void {
    if (conn.connecting) {
      conn.connecting = false
      this.connecting--
    }
    this.released(conn)
  }

  /** The answer (or failure) of the connection's request is in: it rests until undici's drain. */
  answered(conn: Connection): void {
    if (conn.draining || conn.idle) return
    conn.draining = true
    this.draining++
  }

  /** @internal a client drained: it may take a request again */
  released(conn: Connection): void {
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
  connectDone(conn: Connection): void {
    if (!conn.connecting) return
    conn.connecting = false
    this.connecting--
    this.options.onAvailable()
  }

  /** Closes every connection once its request (if any) is done. */
  async close(): Promise<void> {
    this.closed = true
    await Promise.all(this.all.map((conn) => conn.client.close().catch(() => conn.client.destroy())))
  }

  /** Ends every connection now; requests in flight fail. */
  async destroy(): Promise<void> {
    this.closed = true
    await Promise.all(this.all.map((conn) => conn.client.destroy().catch(() => {})))
  }
}
