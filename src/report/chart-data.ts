import { type Histogram, newHistogram } from '../model/histogram.js'
import type { SeriesControl } from '../model/results.js'
import { addExtremes, addHistograms, type DecodedSecond, type ExtremesByKind } from './decoded-second.js'
import { histogramStats } from './histogram-stats.js'

/**
 * The per-second numbers the HTML report charts, derived while the series is read: numbers only,
 * in columns (uPlot's data shape), so a long run costs a few dozen numbers a second, never its
 * histograms. Latencies are null in a second with no completed request (a gap in the chart).
 */
export interface ChartColumns {
  /** requests the schedule asked for in the second (sent + dropped) */
  readonly asked: number[]
  /** completed requests in the second */
  readonly achieved: number[]
  readonly errors: number[]
  readonly dropped: number[]
  /** latency from the intended time, ms */
  readonly p50: (number | null)[]
  readonly p95: (number | null)[]
  readonly p99: (number | null)[]
  /** latency from the actual send, ms */
  readonly sendP50: (number | null)[]
  readonly sendP95: (number | null)[]
  readonly sendP99: (number | null)[]
  /** send lag (actual - intended), ms */
  readonly lagP99: (number | null)[]
  readonly lagMax: (number | null)[]
}

/** A change the user made to the load (run --web), drawn as a vertical line on every chart. */
export interface ChartMarker {
  /** seconds since the run's start (fractional) */
  readonly t: number
  /** what the chart shows beside the line, e.g. "web: scale 1 → 1.5" */
  readonly label: string
}

export interface ChartData {
  /** seconds since the run's start */
  readonly t: number[]
  /** share of the profile asked */
  readonly share: number[]
  readonly total: ChartColumns
  readonly endpoints: Record<string, ChartColumns>
  readonly generator: {
    readonly eventLoopLagMsP99: number[]
    readonly cpuPct: number[]
    readonly rssMb: number[]
    readonly inFlight: number[]
  }
  /** the user's changes to the load, in order (absent in data made before they existed) */
  readonly markers?: ChartMarker[]
}

/** The label of a control change on the charts, e.g. "web: scale 1 → 1.5", "api: pause". */
export function markerLabel(change: {
  readonly who: string
  readonly action: string
  readonly from: number
  readonly to: number
}): string {
  const scale = (x: number) => String(Math.round(x * 1000) / 1000)
  return change.action === 'scale'
    ? `${change.who}: scale ${scale(change.from)} → ${scale(change.to)}`
    : `${change.who}: ${change.action}`
}

const emptyColumns = (length: number): ChartColumns => {
  const zeros = () => new Array<number>(length).fill(0)
  const nulls = () => new Array<number | null>(length).fill(null)
  return {
    asked: zeros(),
    achieved: zeros(),
    errors: zeros(),
    dropped: zeros(),
    p50: nulls(),
    p95: nulls(),
    p99: nulls(),
    sendP50: nulls(),
    sendP95: nulls(),
    sendP99: nulls(),
    lagP99: nulls(),
    lagMax: nulls(),
  }
}

const ms = (us: number) => Math.round(us) / 1000

interface Interval {
  asked: number
  requests: number
  ok: number
  dropped: number
  latency: Histogram
  fromSend: Histogram
  sendLag: Histogram
  extremes: ExtremesByKind
}

function push(columns: ChartColumns, i: Interval): void {
  columns.asked.push(i.asked)
  columns.achieved.push(i.requests)
  columns.errors.push(i.requests - i.ok)
  columns.dropped.push(i.dropped)
  const latency =
    i.latency.totalCount > 0
      ? histogramStats(i.latency, [50, 95, 99], i.extremes.latency).percentiles
      : undefined
  const fromSend =
    i.fromSend.totalCount > 0
      ? histogramStats(i.fromSend, [50, 95, 99], i.extremes.fromSend).percentiles
      : undefined
  const lag = i.sendLag.totalCount > 0 ? histogramStats(i.sendLag, [99], i.extremes.sendLag) : undefined
  columns.p50.push(latency ? ms(latency[0]!) : null)
  columns.p95.push(latency ? ms(latency[1]!) : null)
  columns.p99.push(latency ? ms(latency[2]!) : null)
  columns.sendP50.push(fromSend ? ms(fromSend[0]!) : null)
  columns.sendP95.push(fromSend ? ms(fromSend[1]!) : null)
  columns.sendP99.push(fromSend ? ms(fromSend[2]!) : null)
  columns.lagP99.push(lag ? ms(lag.percentiles[0]!) : null)
  columns.lagMax.push(lag ? ms(lag.max) : null)
}

export class ChartRecorder {
  private readonly data: ChartData
  /** scratch histograms for the per-second total, reset every second */
  private readonly scratch = { latency: newHistogram(), fromSend: newHistogram(), sendLag: newHistogram() }

  constructor(endpoints: readonly string[]) {
    this.data = {
      t: [],
      share: [],
      total: emptyColumns(0),
      endpoints: Object.fromEntries(endpoints.map((id) => [id, emptyColumns(0)])),
      generator: { eventLoopLagMsP99: [], cpuPct: [], rssMb: [], inFlight: [] },
      markers: [],
    }
  }

  /** A control change (series `control` line) as a marker on the charts. */
  addMarker(change: SeriesControl): void {
    this.data.markers!.push({ t: change.atMs / 1000, label: markerLabel(change) })
  }

  add(decoded: DecodedSecond): void {
    for (const piece of this.addPieces(decoded)) piece()
  }

  /**
   * add() in pieces to run in order (one per endpoint, then the total): a run folds its seconds
   * in while it sends, between arrivals (src/metrics/deferred.ts).
   */
  addPieces(decoded: DecodedSecond): (() => void)[] {
    const { second } = decoded
    const length = this.data.t.length
    const total: Interval = { asked: 0, requests: 0, ok: 0, dropped: 0, ...this.scratch, extremes: {} }
    const pieces: (() => void)[] = [
      () => {
        this.data.t.push(second.t)
        this.data.share.push(second.share)
        for (const h of Object.values(this.scratch)) h.reset()
      },
    ]
    for (const [id, interval] of decoded.endpoints) {
      const { stats, histograms } = interval
      pieces.push(() => {
        this.data.endpoints[id] ??= emptyColumns(length)
        const extremes: ExtremesByKind = {}
        addExtremes(extremes, interval)
        addExtremes(total.extremes, interval)
        push(this.data.endpoints[id], { ...stats, ...histograms, extremes })
        total.asked += stats.asked
        total.requests += stats.requests
        total.ok += stats.ok
        total.dropped += stats.dropped
        addHistograms(this.scratch, histograms)
      })
    }
    pieces.push(() => {
      push(this.data.total, total)
      // an endpoint absent from this second: zero counts, no latency
      for (const columns of Object.values(this.data.endpoints)) {
        if (columns.asked.length === length)
          push(columns, { asked: 0, requests: 0, ok: 0, dropped: 0, ...EMPTY, extremes: {} })
      }
      const g = second.generator
      this.data.generator.eventLoopLagMsP99.push(g.eventLoopLagMsP99)
      this.data.generator.cpuPct.push(g.cpuPct)
      this.data.generator.rssMb.push(g.rssMb)
      this.data.generator.inFlight.push(g.inFlight)
    })
    return pieces
  }

  result(): ChartData {
    return this.data
  }
}

const EMPTY_HISTOGRAM = newHistogram()
const EMPTY = { latency: EMPTY_HISTOGRAM, fromSend: EMPTY_HISTOGRAM, sendLag: EMPTY_HISTOGRAM }
