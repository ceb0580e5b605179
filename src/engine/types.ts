import type { Stage } from '../config/parse.js'
import type { FlowSpec } from '../profile/types.js'
import type { ArrivalKind, ShardSlice } from './arrivals.js'
import type { ClockKind } from './clock.js'
import type { Transport } from './transports/transport.js'

/**
 * What the engine is given: its options (EngineOptions), the sink of measurements that its visits
 * call (visit.ts), the source of per-visit data, and the hooks its clock loop calls (engine.ts).
 * The engine never prints and never emits per request: the visits call the sink's methods with
 * plain numbers, and a per-second hook lets the caller fold and publish.
 *
 * Times are milliseconds (floats, sub-ms precision) on the run's clock: 0 is the run's start,
 * read from performance.now(). Endpoints are numbers: the index into the run's endpoint list.
 * Error kinds are numbers: the index into ERROR_KINDS (src/model/error-kinds.ts).
 */
export interface RequestSink {
  /** a request was sent; intendedMs is when it should have been */
  sent(endpoint: number, intendedMs: number, sendMs: number): void
  /**
   * the request just sent waited `waitMs` for a connection of the shared pool (the pool full),
   * after it was ready at `sendMs - waitMs`: the `sendMs` given to sent() is then that ready
   * time, so the send lag is the generator's own lateness and this wait is apart
   */
  connectionWait?(endpoint: number, waitMs: number): void
  /** a request was never sent: its flow arrived when the in-flight cap was full */
  dropped(endpoint: number): void
  /** an answer came; errorKind is -1 when its status was expected, else the kind (http_4xx, ...) */
  response(
    endpoint: number,
    status: number,
    errorKind: number,
    intendedMs: number,
    sendMs: number,
    endMs: number,
  ): void
  /** the request failed without an answer (connect, reset, timeout, tls, protocol, ...) */
  failed(endpoint: number, errorKind: number): void
}

/** Per-visit variables for `{{var}}` templates (the check-in data lives in src/checkin). */
export interface VisitDataSource {
  /** variable names, in the order `fill` writes their values */
  readonly names: readonly string[]
  /** writes one visit's values into `out` */
  fill(rng: { nextUint32(): number }, out: string[]): void
}

export interface EngineHooks {
  /** the run's time zero is fixed (before the first arrival): epoch ms */
  onStart?(startedAtMs: number): void
  /**
   * Second `t` of the run ended ([t, t+1) s from the start); `share` is the share of the profile
   * asked at its end (x --scale; 0 once arrivals stopped); `inFlight` the flows in flight now.
   * Called from the clock loop: fold measurements here, cheaply.
   */
  onSecond?(t: number, share: number, inFlight: number): void
}

/** What an Engine is given (engine.ts). */
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
  /** TCP connections of the shared pool; default min(maxInFlight, 1024) */
  readonly connections?: number
  /**
   * a connection per visit instead of the shared pool, as browsers: each visit opens its own
   * keep-alive connection (TLS handshake included) and closes it at its end
   */
  readonly connectionPerVisit?: boolean
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
   * default `raw`
   */
  readonly transport?: Transport
  /**
   * how the clock loop wakes for an arrival due within 2 ms: `timer` (Node's, 0–1.1 ms late) or
   * `precise` (a worker thread, ~0.1 ms late, more CPU: src/engine/precise-clock.ts); default `timer`
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
