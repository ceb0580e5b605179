import type { SeriesSecond, ThresholdResult } from '../model/results.js'

/**
 * The exporter side of the live exporters (exporters.ts starts them, prometheus-server.ts and
 * dogstatsd.ts are two): what each one is handed, in a file of its own so that neither side
 * imports the other.
 */

/** What an exporter learns with each second besides the snapshot. */
export interface SecondContext {
  /** the rate the schedule asks of each endpoint at the end of this second (req/s, this shard) */
  readonly expectedRps: Readonly<Record<string, number>>
}

export interface LiveExporter {
  /** `prometheus` or `dogstatsd` */
  readonly name: string
  /** where to look: the Prometheus endpoint's URL, the DogStatsD agent's address */
  readonly url?: string
  /** called once per second with the second's snapshot (and the run's asked rate per endpoint) */
  onSecond(second: SeriesSecond, context: SecondContext): void
  /** the user scale set live (run --web), 0 while paused */
  onUserScale?(scale: number): void
  /** threshold status, 1 ok / 0 failing, when the run evaluates them */
  onThresholds?(results: readonly ThresholdResult[]): void
  /** the run ended: flush; Prometheus stays up for lingerMs so the last scrape sees the end */
  close(): Promise<void>
}

/** A flow of the profile and the endpoints of its steps (for DogStatsD's `flow` tag). */
export interface ExporterFlow {
  readonly name: string
  readonly endpoints: readonly string[]
}
