import { Client } from 'undici'

/**
 * The engine's connections to the target: undici Clients (HTTP/1.1, one request at a time each)
 * handed out from a stack of idle ones, in O(1) per request.
 *
 * Why not undici's Pool: a Pool opens a new connection whenever every existing one is busy, and
 * a connection still connecting counts as busy. On a cold start at a high rate (or against a TLS
 * target, where a handshake costs milliseconds of CPU), each arrival then opens its own
 * connection, which slows the process, which makes more arrivals wait... up to the connection cap
 * (a storm of ~1000 connections in the first second at 5000 req/s). Here at most
 * `maxConnecting` new connections are being opened at once; a request that finds no idle
 * connection waits in the engine's queue (its send lag shows it) until one frees up or connects.
 *
 * A client is idle from its 'drain' event (undici emits it one loop turn after a response, once
 * the socket can be reused, and after errors) until it is acquired again.
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

  get size(): number {
    return this.all.length
  }

  /** An idle connection, a new one if allowed, or undefined: wait for onAvailable. */
  acquire(): Connection | undefined {
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
    if (this.all.length >= this.options.maxConnections || this.connecting >= this.options.maxConnecting) {
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

  /** @internal a client drained: it may take a request again */
  released(conn: Connection): void {
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
