import type { SeriesControl, SeriesHeader, SeriesSecond, Summary } from '../model/results.js'
import { ChartRecorder } from './chart-data.js'
import { type DecodedSecond, decodeSecond } from './decoded-second.js'
import { type BuildOptions, SummaryBuilder } from './summary.js'

/**
 * Everything a run's results are made of, fed one second line at a time: the summary (cumulative
 * histograms and counts) and the chart's per-second numbers. Each second's histograms are decoded
 * once for both. The engine feeds one during the run; `report` feeds one from series.ndjson.
 */
export class RunAccumulator {
  readonly summary: SummaryBuilder
  readonly chart: ChartRecorder
  /** the user's changes to the load (series `control` lines), in order */
  readonly controls: SeriesControl[] = []

  constructor(readonly header: SeriesHeader) {
    this.summary = new SummaryBuilder(header)
    this.chart = new ChartRecorder(header.endpoints)
  }

  /**
   * Folds one second in. The engine, which holds the second's histograms before it encodes them,
   * may pass them as `decoded` (copies it no longer writes to) and save the decoding.
   */
  add(second: SeriesSecond, decoded: DecodedSecond = decodeSecond(second)): void {
    for (const piece of this.addPieces(second, decoded)) piece()
  }

  /** A control line: kept for the summary, and a marker on the charts. */
  addControl(change: SeriesControl): void {
    this.controls.push(change)
    this.chart.addMarker(change)
  }

  /** The summary (SummaryBuilder.build) with the control changes, when there were any. */
  buildSummary(options: BuildOptions): Summary {
    const summary = this.summary.build(options)
    if (this.controls.length === 0) return summary
    return { ...summary, controls: this.controls.map(({ type: _, ...change }) => change) }
  }

  /**
   * add() in pieces of well under a millisecond each, to run in order: a run folds its seconds in
   * while it sends, between arrivals (src/metrics/deferred.ts). Without `decoded`, the line is
   * decoded when the first piece runs.
   */
  addPieces(second: SeriesSecond, decoded?: DecodedSecond): (() => void)[] {
    if (decoded === undefined) return [() => this.add(second)]
    return [...this.summary.addPieces(second, decoded), ...this.chart.addPieces(decoded)]
  }
}
