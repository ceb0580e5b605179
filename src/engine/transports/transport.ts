import type { Dispatcher } from 'undici'
import { ConfigError } from '../../errors.js'
import type { CompiledFlow, CompiledStep } from '../flows.js'
import type { RawHandler } from '../raw/connection.js'

/**
 * What the pool and the visits see of an HTTP/1.1 client: one interface, two implementations
 * (`raw.ts`, the default, and `undici.ts`). One transport object per engine, chosen once in its
 * constructor (`createTransport`); nothing past that point asks which one it is.
 */
export type Transport = 'raw' | 'undici'

export const TRANSPORTS: readonly Transport[] = ['raw', 'undici']

/** A transport's name as given (a flag, the environment): undefined or '' is `raw`. */
export function parseTransport(value: string | undefined): Transport {
  if (value === undefined || value === '') return 'raw'
  if (value === 'raw' || value === 'undici') return value
  throw new ConfigError(`CHECKIN_LOAD_TRANSPORT must be raw or undici, not "${value}"`)
}

/**
 * One keep-alive connection, one request at a time, as the pool sees it. The pool keeps the state
 * flags: in flight (a request out), then draining (its answer is in; undici lets a client rest
 * one loop turn before reuse, a raw connection is free at once), then idle.
 */
export interface PoolConnection {
  connected: boolean
  /** opening its socket, and counted in the pool's `connecting` (set by the pool) */
  connecting: boolean
  idle: boolean
  /** its answer is in; idle again once the client says so (`PoolLink.released`) */
  draining: boolean
  /** Closes once its request (if any) is done. */
  close(): Promise<void>
  /** Ends now: its request in flight fails. */
  destroy(): Promise<void>
}

/** What a connection tells its pool (ConnectionPool implements it). */
export interface PoolLink {
  /** a connection attempt ended (connected or failed) */
  connectDone(conn: PoolConnection): void
  /** the connection may take a request again */
  released(conn: PoolConnection): void
}

/**
 * A request as a transport sees it: the visit sending its current step. The visit is also the
 * handler of the answer, in both transports' shapes, so no object is made per request.
 */
export type OutgoingRequest = RawHandler &
  Dispatcher.DispatchHandler & {
    readonly flow: CompiledFlow
    readonly stepIndex: number
    readonly step: CompiledStep
    /** the visit's template values */
    readonly values: readonly string[]
    readonly jar: { readonly header: string }
    /** The request leaves now on `conn`: counted as sent; returns the send time (run ms). */
    markSent(conn: PoolConnection): number
  }

export interface HttpTransport {
  readonly kind: Transport
  /** A new connection for `pool` (it connects with its first request). */
  open(pool: PoolLink): PoolConnection
  /** Sends the request's current step on `conn`, a connection this transport opened. */
  dispatch(request: OutgoingRequest, conn: PoolConnection): void
  /** The pool is closing: stop the transport's own timers. */
  stop(): void
}

export interface TransportOptions {
  /** the target's origin (scheme, host, port) */
  readonly origin: string
  readonly flows: readonly CompiledFlow[]
  /** per-request connect, headers and body timeouts (ms) */
  readonly timeoutMs: number
  readonly ca?: string | Buffer
  readonly insecure?: boolean
  /** the run's time origin: performance.now() at time zero */
  readonly clock: { readonly t0: number }
}
