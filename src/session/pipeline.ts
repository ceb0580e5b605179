import type { FoldedSecond, RunObserver, SeriesWriter } from '../metrics/index.js'
import type { SeriesEnd, SeriesHeader, SeriesSecond } from '../model/results.js'
import {
  ChartRecorder,
  type DecodedInterval,
  type DecodedSecond,
  decodeSecond,
  SummaryBuilder,
} from '../report/index.js'

/**
 * The per-second path of a session, in one direction: a folded second goes to the series file,
 * then into the accumulated summary (and chart), then to the observers (exporters), then to the
 * subscribers (the run's abort check and live view, a capacity step's judging, a live web page).
 *
 * It knows nothing of engines: session.ts feeds it the seconds an engine (or a fleet of workers)
 * folds, warm-up.ts feeds it made-up ones. The work of a second comes as pieces of about a
 * millisecond each, for the session to run between arrivals (src/metrics/deferred.ts).
 */

/** One second as the subscribers see it, once it is written and accumulated. */
export interface SessionSecond {
  /** seconds since time zero: this second is [t, t + 1) */
  readonly t: number
  /** the line as written to series.ndjson (histograms encoded) */
  readonly second: SeriesSecond
  /** the second's histograms as objects: lent until the next second, copy what you keep */
  readonly decoded: DecodedSecond
  /** counted in the summary (false for the unjudged warm-up seconds of a capacity step) */
  readonly judged: boolean
  /** everything judged so far, this second included */
  readonly summary: SummaryBuilder
}

export type SecondListener = (second: SessionSecond) => void

export interface PipelineOptions {
  /** series.ndjson (none: the seconds are not written) */
  readonly series?: SeriesWriter
  /** consumers of the series (exporters): one that throws is reported and the others go on */
  readonly observers?: readonly RunObserver[]
  /** seconds before this one are written and observed, not accumulated (default 0) */
  readonly judgeFromS?: number
  /** keep the report's chart data (default true) */
  readonly chart?: boolean
  /** the series line could not be written: the session ends (write_failed) */
  onWriteFailed?(note: string): void
  onWarning?(message: string): void
}

export class SecondPipeline {
  private readonly listeners = new Set<SecondListener>()
  private summaryBuilder: SummaryBuilder | undefined
  private chartRecorder: ChartRecorder | undefined
  private writeFailed = false

  constructor(private readonly options: PipelineOptions = {}) {}

  /** Subscribes to every second from now on; returns the unsubscribe. A listener that throws ends the session. */
  onSecond(listener: SecondListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** the summary so far (undefined before the header) */
  get summary(): SummaryBuilder | undefined {
    return this.summaryBuilder
  }

  get chart(): ChartRecorder | undefined {
    return this.chartRecorder
  }

  /** Time zero: writes the header line (throws when it cannot: nothing has been sent yet). */
  start(header: SeriesHeader): void {
    this.options.series?.onHeader(header)
    this.summaryBuilder = new SummaryBuilder(header)
    if (this.options.chart !== false) this.chartRecorder = new ChartRecorder(header.endpoints)
    this.notify((o) => o.onHeader?.(header))
  }

  /**
   * The work of one second, in pieces to run in order. `decoded`: the recorder's own histograms of
   * the second, when it has them (else the line is decoded here).
   */
  pieces(second: SeriesSecond, decoded: DecodedSecond = decodeSecond(second)): (() => void)[] {
    const summary = this.summaryBuilder
    if (summary === undefined) return []
    const judged = second.t >= (this.options.judgeFromS ?? 0)
    return [
      () => this.write(second),
      ...(judged ? summary.addPieces(second, decoded) : []),
      ...(judged && this.chartRecorder ? this.chartRecorder.addPieces(decoded) : []),
      () => this.notify((o) => o.onSecond?.(second)),
      () => {
        const view: SessionSecond = { t: second.t, second, decoded, judged, summary }
        for (const listener of this.listeners) listener(view)
      },
    ]
  }

  /** The end line, and the observers told; the series file is closed. */
  end(end: SeriesEnd): void {
    const series = this.options.series
    if (series !== undefined) {
      try {
        series.onEnd(end)
      } catch (error) {
        this.warn(`writing the end of ${series.path} failed: ${(error as Error).message}`)
      }
      series.close()
    }
    this.notify((o) => o.onEnd?.(end))
  }

  /** Closes the observers (exporters close last: Prometheus lingers so its last scrape sees the end). */
  async close(): Promise<void> {
    this.options.series?.close()
    await Promise.all(
      (this.options.observers ?? []).map((o) =>
        Promise.resolve()
          .then(() => o.close?.())
          .catch((error: unknown) => this.warn(`closing an exporter failed: ${(error as Error).message}`)),
      ),
    )
  }

  private write(second: SeriesSecond): void {
    const series = this.options.series
    if (series === undefined) return
    try {
      series.onSecond(second)
    } catch (error) {
      // later seconds are still tried (the disk may have room again); the session is told once
      if (this.writeFailed) return
      this.writeFailed = true
      this.options.onWriteFailed?.(`writing ${series.path} failed: ${(error as Error).message}`)
    }
  }

  private notify(call: (o: RunObserver) => void): void {
    for (const observer of this.options.observers ?? []) {
      try {
        call(observer)
      } catch (error) {
        this.warn(`a metrics observer failed: ${error instanceof Error ? error.message : String(error)}`)
      }
    }
  }

  private warn(message: string): void {
    this.options.onWarning?.(message)
  }
}

/** The folded second with the recorder's own histograms, so the summary need not decode the line. */
export function decodedOf(second: SeriesSecond, histograms: FoldedSecond['histograms']): DecodedSecond {
  const endpoints = new Map<string, DecodedInterval>()
  for (const [id, h] of histograms) endpoints.set(id, { stats: second.endpoints[id]!, histograms: h })
  return { second, endpoints }
}
