import { connect as netConnect, type Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import { type SecureContext, type TLSSocket, connect as tlsConnect } from 'node:tls'
import { ResponseParser } from './parser.js'

/**
 * One keep-alive HTTP/1.1 connection of the raw transport: a socket (net or tls), one request in
 * flight at a time, and its own response parser (the connection IS the parser: no per-request
 * object). The request is written with one `socket.write` of a prebuilt string; the answer is
 * parsed as it streams in (bodies counted, not kept). Deadlines (connect, then request) are plain
 * numbers checked by the raw transport's one coarse tick (`checkDeadline`, transports/raw.ts), not
 * a timer per request.
 *
 * Failures carry the codes `classifyError` knows: the socket's own (ECONNREFUSED, ECONNRESET,
 * ENOTFOUND, TLS codes), UND_ERR_SOCKET when the peer closes mid-answer, HPE_INVALID_RESPONSE for
 * bytes that are not HTTP/1.1, UND_ERR_CONNECT/HEADERS/BODY_TIMEOUT past a deadline.
 */

/** what a request of the raw transport reports to (the engine's visit) */
export interface RawHandler {
  onRawStatus(status: number): void
  onRawSetCookie(value: string): void
  /** an Access-Control-Allow-Origin (credentials false) or -Allow-Credentials (true) header */
  onRawCors(credentials: boolean, value: string): void
  onComplete(): void
  onError(error: Error): void
}

/** where and how to connect; shared by every connection of a transport */
export interface RawEndpoint {
  readonly host: string
  readonly port: number
  readonly tls: boolean
  /** TLS server name (not for an IP address) */
  readonly servername: string | undefined
  readonly ca: string | Buffer | undefined
  /**
   * the TLS context, made once for every connection: a `ca` given to each tls.connect would parse
   * the PEM and build a context per connection (ms of CPU each: a connection per visit at 600/s
   * stalled the event loop for seconds)
   */
  readonly secureContext: SecureContext | undefined
  readonly insecure: boolean
  readonly timeoutMs: number
}

/** what a raw connection tells its pool (ConnectionPool, src/engine/pool.ts, implements it) */
export interface RawPoolLink {
  connectDone(conn: RawConnection): void
  released(conn: RawConnection): void
}

export function transportError(code: string, message: string): Error {
  const error = new Error(message) as Error & { code: string }
  error.code = code
  return error
}

/** One read buffer shared by every plain-TCP connection (reads are handled synchronously). */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024)

export class RawConnection extends ResponseParser {
  readonly kind = 'raw'
  connected = false
  /** opening its socket, and counted in the pool's `connecting` (set by the pool) */
  connecting = false
  idle = false
  draining = false
  /** the request in flight's handler */
  handler: RawHandler | null = null
  /** performance.now() past which the request in flight (or the connect) times out */
  deadlineMs = Number.POSITIVE_INFINITY
  private socket: Socket | TLSSocket | null = null
  private closing = false
  private closed: (() => void) | null = null

  constructor(
    private readonly pool: RawPoolLink,
    private readonly endpoint: RawEndpoint,
  ) {
    super()
  }

  /**
   * Sends one request (the whole bytes as one string); `head`: a HEAD request; `nowMs`:
   * performance.now() at the send (the caller has read the clock already); `latin1`: the request
   * is all ASCII, written as latin1 (same bytes as UTF-8, cheaper).
   */
  send(request: string, handler: RawHandler, head: boolean, nowMs: number, latin1: boolean): void {
    if (this.handler !== null || this.closing) {
      handler.onError(transportError('UND_ERR_CLOSED', 'connection busy or closed'))
      return
    }
    this.handler = handler
    this.resetParser(head)
    let socket = this.socket
    if (socket === null || socket.destroyed || !socket.writable) {
      if (socket !== null) this.dropSocket()
      socket = this.open()
    }
    this.deadlineMs = nowMs + this.endpoint.timeoutMs
    socket.write(request, latin1 ? 'latin1' : 'utf8')
  }

  private open(): Socket | TLSSocket {
    const { host, port } = this.endpoint
    let socket: Socket | TLSSocket
    if (this.endpoint.tls) {
      socket = tlsConnect({
        host,
        port,
        ...(this.endpoint.servername !== undefined && { servername: this.endpoint.servername }),
        ...(this.endpoint.secureContext !== undefined
          ? { secureContext: this.endpoint.secureContext }
          : this.endpoint.ca !== undefined && { ca: this.endpoint.ca }),
        rejectUnauthorized: !this.endpoint.insecure,
        ALPNProtocols: ['http/1.1'],
      })
      socket.on('secureConnect', () => this.onConnected(socket))
      socket.on('data', (chunk: Buffer) => {
        if (socket === this.socket) this.onBytes(chunk, chunk.length)
      })
    } else {
      socket = netConnect({
        host,
        port,
        onread: {
          buffer: READ_BUFFER,
          callback: (n: number, buffer: Uint8Array): boolean => {
            if (socket === this.socket) this.onBytes(buffer as Buffer, n)
            return true
          },
        },
      })
      socket.on('connect', () => this.onConnected(socket))
    }
    socket.setNoDelay(true)
    socket.on('error', (error: Error) => this.onSocketGone(socket, error))
    socket.on('end', () => this.onSocketGone(socket, null))
    socket.on('close', () => this.onSocketGone(socket, null))
    this.socket = socket
    return socket
  }

  private onConnected(socket: Socket | TLSSocket): void {
    if (socket !== this.socket) return
    this.connected = true
    if (this.handler !== null) this.deadlineMs = performance.now() + this.endpoint.timeoutMs
    this.pool.connectDone(this)
  }

  private onBytes(b: Buffer, n: number): void {
    if (this.handler === null) {
      // bytes nobody asked for: this connection cannot be trusted
      this.dropSocket()
      return
    }
    const end = this.execute(b, 0, n)
    if (end < 0) {
      this.fail(transportError('HPE_INVALID_RESPONSE', `invalid HTTP response: ${this.error}`))
    } else if (this.complete) {
      // bytes after the answer (no pipelining here): the connection is not reused
      this.finish(this.keepAlive && end === n)
    } else {
      // more to come: the timeout counts from the last bytes (as undici's bodyTimeout)
      this.deadlineMs = performance.now() + this.endpoint.timeoutMs
    }
  }

  private onSocketGone(socket: Socket | TLSSocket, error: Error | null): void {
    if (socket !== this.socket) return
    if (this.handler === null) {
      this.dropSocket()
      if (this.connecting) this.pool.connectDone(this)
      return
    }
    if (error === null && this.headDone && this.readsUntilClose) {
      this.dropSocket()
      this.finish(false)
      return
    }
    this.fail(error ?? transportError('UND_ERR_SOCKET', 'connection closed before the answer ended'))
  }

  private dropSocket(): void {
    const socket = this.socket
    this.socket = null
    this.connected = false
    if (socket !== null && !socket.destroyed) socket.destroy()
  }

  /** The answer is complete: report it, then the connection is free again. */
  private finish(keep: boolean): void {
    const handler = this.handler!
    this.handler = null
    this.deadlineMs = Number.POSITIVE_INFINITY
    if (!keep || this.closing) this.dropSocket()
    handler.onRawStatus(this.status)
    handler.onComplete()
    this.settled()
  }

  /** The request in flight failed: the socket goes, the handler hears why. */
  fail(error: Error): void {
    const handler = this.handler
    this.handler = null
    this.deadlineMs = Number.POSITIVE_INFINITY
    this.dropSocket()
    if (this.connecting) this.pool.connectDone(this)
    handler?.onError(error)
    this.settled()
  }

  private settled(): void {
    if (this.closing) {
      this.dropSocket()
      this.closed?.()
      this.closed = null
      return
    }
    this.pool.released(this)
  }

  /** Called by the transport's tick: fails the request (or connect) past its deadline. */
  checkDeadline(nowMs: number): void {
    if (nowMs <= this.deadlineMs || this.handler === null) return
    const code = !this.connected
      ? 'UND_ERR_CONNECT_TIMEOUT'
      : this.headDone
        ? 'UND_ERR_BODY_TIMEOUT'
        : 'UND_ERR_HEADERS_TIMEOUT'
    this.fail(transportError(code, `no answer within ${this.endpoint.timeoutMs} ms`))
  }

  protected override onSetCookie(value: string): void {
    this.handler?.onRawSetCookie(value)
  }

  protected override onCorsHeader(credentials: boolean, value: string): void {
    this.handler?.onRawCors(credentials, value)
  }

  /** closed for good, its request (if any) done: nothing left to watch */
  get retired(): boolean {
    return this.closing && this.handler === null
  }

  /** Closes once the request in flight (if any) is done. */
  close(): Promise<void> {
    this.closing = true
    if (this.handler === null) {
      this.dropSocket()
      return Promise.resolve()
    }
    return new Promise<void>((resolve) => {
      this.closed = resolve
    })
  }

  /** Ends now: the request in flight fails (reset). */
  destroy(): Promise<void> {
    this.closing = true
    if (this.handler !== null) this.fail(transportError('UND_ERR_DESTROYED', 'connection destroyed'))
    this.dropSocket()
    this.closed?.()
    this.closed = null
    return Promise.resolve()
  }
}
