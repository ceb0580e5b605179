import type { SeriesEnd, SeriesHeader, SeriesSecond } from '../model/results.js'

/**
 * The hook for everything that consumes a run's measurements as it goes: the series.ndjson
 * writer, the live view, and live exporters (Prometheus, DogStatsD). Called from the engine's
 * clock loop, once at the start, once a second and once at the end: an observer must be cheap and
 * must not block (hand heavy work to I/O). An observer that throws ends the run (`write_failed`).
 */
export interface RunObserver {
  onHeader?(header: SeriesHeader): void
  onSecond?(second: SeriesSecond): void
  onEnd?(end: SeriesEnd): void
  /** release resources (files, sockets); awaited after onEnd */
  close?(): void | Promise<void>
}
