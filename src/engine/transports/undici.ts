import { createRequire } from 'node:module'
import type { Client, Dispatcher } from 'undici'
import type {
  HttpTransport,
  OutgoingRequest,
  PoolConnection,
  PoolLink,
  TransportOptions,
} from './transport.js'

/** undici, loaded on first use: the default transport does without it (~0.15 CPU-s to load) */
let undiciModule: typeof import('undici') | undefined
const undici = () => {
  undiciModule ??= createRequire(import.meta.url)('undici') as typeof import('undici')
  return undiciModule
}

/** One undici Client (HTTP/1.1, pipelining 1): idle again at its 'drain', one loop turn after the answer. */
export class UndiciConnection implements PoolConnection {
  connected = false
  connecting = false
  idle = false
  draining = false
  /** the request's options, refilled for each request (one at a time on a connection) */
  readonly opts: { path: string; method: Dispatcher.HttpMethod; headers: string[]; body: string | null }

  constructor(
    readonly client: Client,
    pool: PoolLink,
  ) {
    this.opts = { path: '/', method: 'GET', headers: [], body: null }
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

  close(): Promise<void> {
    return this.client.close().catch(() => this.client.destroy())
  }

  destroy(): Promise<void> {
    return this.client.destroy().catch(() => {})
  }
}

/**
 * undici's Client per connection, the visit as its dispatch handler in the legacy shape (which
 * undici 7 passes through without a per-request adapter: ~4% cheaper, bench/handler-shapes.ts).
 */
export class UndiciTransport implements HttpTransport {
  readonly kind = 'undici'
  private readonly origin: string
  private readonly clientOptions: Client.Options

  constructor(options: TransportOptions) {
    this.origin = options.origin
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

  open(pool: PoolLink): UndiciConnection {
    return new UndiciConnection(new (undici().Client)(this.origin, this.clientOptions), pool)
  }

  dispatch(visit: OutgoingRequest, conn: PoolConnection): void {
    const step = visit.step
    const values = visit.values
    const client = conn as UndiciConnection
    const opts = client.opts
    opts.method = step.method as Dispatcher.HttpMethod
    opts.path = step.path.isStatic ? step.path.parts[0]! : step.path.render(values)
    opts.body =
      step.body === null ? null : step.body.isStatic ? step.body.parts[0]! : step.body.render(values)
    const headers = opts.headers
    headers.length = 0
    const base = step.headers
    for (let i = 0; i < base.length; i++) headers.push(base[i]!)
    const dynamic = step.dynamicHeaders
    for (let i = 0; i < dynamic.length; i++) headers.push(dynamic[i]![0], dynamic[i]![1].render(values))
    if (visit.jar.header !== '' && !step.preflight) headers.push('cookie', visit.jar.header)
    visit.markSent(conn)
    // dispatch may call onError synchronously (client closed): the visit is released there
    client.client.dispatch(opts, visit)
  }

  stop(): void {}
}
