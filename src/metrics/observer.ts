import type { SeriesEnd, SeriesHeader, SeriesSecond } from '../model/results.js'

/**
 * The hook for everything that consumes a run's series as it goes: live exporters (Prometheus,
 * DogStatsD) and the series.ndjson writer. The session's pipeline (src/session/pipeline.ts) calls
 * it once at the start, once a second (between arrivals, out of the clock loop's tick) and once
 * at the end: an observer must be cheap and must not block (hand heavy work to I/O). An observer
 * that throws is reported as a warning; the others and the run go on.
 */
export interface RunObserver {
  onHeader?(header: SeriesHeader): void
  onSecond?(second: SeriesSecond): void
  onEnd?(end: SeriesEnd): void
  /** release resources (files, sockets); awaited after onEnd */
  close?(): void | Promise<void>
}
