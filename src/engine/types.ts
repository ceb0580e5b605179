/**
 * What the engine calls (the sink of measurements, the source of per-visit data) and what it is
 * given. The engine never prints and never emits per request: it calls the sink's methods with
 * plain numbers, and a per-second hook lets the caller fold and publish.
 *
 * Times are milliseconds (floats, sub-ms precision) on the run's clock: 0 is the run's start,
 * read from performance.now(). Endpoints are numbers: the index into the run's endpoint list.
 * Error kinds are numbers: the index into ERROR_KINDS (src/model/error-kinds.ts).
 */
export interface RequestSink {
  /** a request was sent; intendedMs is when it should have been */
  sent(endpoint: number, intendedMs: number, sendMs: number): void
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
