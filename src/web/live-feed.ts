import type { ThresholdSpec } from '../config/thresholds.js'
import type { SeriesControl, SeriesHeader, SeriesSecond, ThresholdResult } from '../model/results.js'
import {
  type ChartColumns,
  type ChartRecorder,
  type DecodedSecond,
  ENDPOINT_COLORS,
  evaluateThresholds,
  histogramStats,
  markerLabel,
  RunAccumulator,
  type SummaryBuilder,
} from '../report/index.js'
import type { ControlState } from './control.js'
import type {
  ControlEvent,
  FeedEventName,
  HelloEvent,
  LiveFinal,
  LiveRow,
  LiveStep,
  RowValues,
  SecondEvent,
  TableRow,
} from './feed-types.js'

export interface LiveFeedOptions {
  readonly kind: 'run' | 'capacity'
  /** the thresholds the run is judged by: their live state is sent each second */
  readonly thresholds: readonly ThresholdSpec[]
  /** length of the stages, s (null: not known, as in a capacity search) */
  readonly plannedS?: number | null
  /** the steering desk's state, sent with every event */
  readonly control?: () => ControlState
}

/** What the feed reads a run's numbers from: a RunAccumulator, or a session pipeline's summary and chart. */
export interface LiveSource {
  readonly header: SeriesHeader
  readonly summary: SummaryBuilder
  readonly chart: ChartRecorder
}

/** One server-sent event, serialized once for every client. */
export interface FeedEvent {
  readonly name: FeedEventName
  /** the whole SSE frame: `event: name\ndata: json\n\n` */
  readonly frame: string
}

type Listener = (event: FeedEvent) => void

const frame = (name: FeedEventName, data: unknown): FeedEvent => ({
  name,
  frame: `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`,
})

/**
 * The run as the live page sees it: fed the run's header, folded seconds, control changes,
 * capacity steps and final verdict, it keeps what a newly opened page needs (hello) and turns each
 * into one event for the pages already open. Each second's table and thresholds cost a few
 * histogram walks: they are computed only while a page listens.
 */
export class LiveFeed {
  private accumulator: LiveSource | undefined
  /** the accumulator is this feed's own (fed here), not the run's (fed by the pipeline) */
  private ownAccumulator = false
  private readonly listeners = new Set<Listener>()
  private readonly controls: SeriesControl[] = []
  private readonly steps: LiveStep[] = []
  private final: LiveFinal | null = null
  private reportHtml: string | undefined

  constructor(private readonly options: LiveFeedOptions) {}

  /** The run's time zero. Pass the run's own summary and chart when it has them, to share their work. */
  onHeader(header: SeriesHeader, source?: LiveSource): void {
    this.ownAccumulator = source === undefined
    this.accumulator = source ?? new RunAccumulator(header)
    if (this.ownAccumulator) for (const change of this.controls) this.accumulator.chart.addMarker(change)
    this.broadcast(() => frame('hello', this.hello()))
  }

  /**
   * A folded second; with a shared accumulator, call this after it took the second in. The event's
   * table and thresholds take a few ms of histogram walks: they are made in pieces of a fraction of
   * a millisecond (one endpoint, one threshold), each in its own turn of the event loop, so that
   * the arrivals due meanwhile are not held back.
   */
  onSecond(second: SeriesSecond, decoded?: DecodedSecond): void {
    const accumulator = this.accumulator
    if (!accumulator) return
    if (this.ownAccumulator) (accumulator as RunAccumulator).add(second, decoded)
    if (this.listeners.size === 0) return
    const row = this.row(second.t)
    if (!row) return
    const ids: (string | undefined)[] = [...accumulator.header.endpoints, undefined]
    const table: TableRow[] = []
    const thresholds: ThresholdResult[] = []
    const pieces: (() => void)[] = [
      ...ids.map((id) => () => {
        table.push(this.tableRow(id, row))
      }),
      ...this.options.thresholds.map((spec) => () => {
        if (!this.final) thresholds.push(...evaluateThresholds([spec], accumulator.summary))
      }),
      () => {
        const event: SecondEvent = {
          row,
          table,
          thresholds: this.final ? [...this.final.thresholds] : thresholds,
          control: this.control(),
        }
        this.broadcast(() => frame('second', event))
      },
    ]
    runInTurns(pieces)
  }

  onControl(change: SeriesControl): void {
    this.controls.push(change)
    // a shared accumulator gets its marker from the run's pipeline (series line -> addControl)
    if (this.accumulator && this.ownAccumulator) this.accumulator.chart.addMarker(change)
    const event: ControlEvent = {
      change,
      marker: { t: change.atMs / 1000, label: markerLabel(change) },
      control: this.control(),
    }
    this.broadcast(() => frame('control', event))
  }

  /** A capacity step started (held null) or was judged: replaces the step of the same index. */
  onStep(step: LiveStep): void {
    const at = this.steps.findIndex((s) => s.index === step.index)
    if (at >= 0) this.steps[at] = step
    else this.steps.push(step)
    this.broadcast(() => frame('step', step))
  }

  /** The run is over; `reportHtml` is served at GET /report from now on. */
  onEnd(final: LiveFinal, reportHtml?: string): void {
    this.final = final
    this.reportHtml = reportHtml
    this.broadcast(() => frame('end', { final, control: this.control() }))
  }

  finalReport(): string | undefined {
    return this.reportHtml
  }

  /** Listens to every event from now on; returns the way to stop. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  get listenerCount(): number {
    return this.listeners.size
  }

  helloEvent(): FeedEvent {
    return frame('hello', this.hello())
  }

  hello(): HelloEvent {
    const a = this.accumulator
    const header = a?.header
    const chart = a?.chart.result()
    const last = chart && chart.t.length > 0 ? this.row(chart.t[chart.t.length - 1]!) : undefined
    const endpoints = header?.endpoints ?? []
    return {
      kind: this.options.kind,
      ...(header && {
        run: {
          runId: header.runId,
          target: header.target,
          startedAt: header.startedAt,
          startedAtMs: header.startedAtMs,
          endpoints,
        },
      }),
      plannedS: this.options.plannedS ?? null,
      colors: endpoints.map((_, i) => ENDPOINT_COLORS[i % ENDPOINT_COLORS.length]!),
      chart: chart ?? null,
      table: a ? this.table(last) : [],
      thresholds: a ? this.thresholds() : [],
      control: this.control(),
      controls: this.controls,
      steps: this.steps,
      final: this.final,
    }
  }

  private control(): ControlState | null {
    return this.options.control?.() ?? null
  }

  private broadcast(make: () => FeedEvent | undefined): void {
    if (this.listeners.size === 0) return
    const event = make()
    if (!event) return
    for (const listener of this.listeners) listener(event)
  }

  /** The chart's numbers for second t (the last rows are searched first). */
  private row(t: number): LiveRow | undefined {
    const chart = this.accumulator!.chart.result()
    let i = chart.t.length - 1
    while (i >= 0 && chart.t[i] !== t) i--
    if (i < 0) return undefined
    const values = (c: ChartColumns): RowValues => {
      const out: Record<string, number | null> = {}
      for (const [key, column] of Object.entries(c)) out[key] = (column as (number | null)[])[i] ?? null
      return out as unknown as RowValues
    }
    const g = chart.generator
    return {
      t,
      share: chart.share[i]!,
      total: values(chart.total),
      endpoints: Object.fromEntries(Object.entries(chart.endpoints).map(([id, c]) => [id, values(c)])),
      generator: {
        eventLoopLagMsP99: g.eventLoopLagMsP99[i]!,
        cpuPct: g.cpuPct[i]!,
        rssMb: g.rssMb[i]!,
        inFlight: g.inFlight[i]!,
      },
    }
  }

  /** The endpoint table since the start: one row per endpoint, then the total. */
  private table(last: LiveRow | undefined): TableRow[] {
    const ids: (string | undefined)[] = [...this.accumulator!.header.endpoints, undefined]
    return ids.map((id) => this.tableRow(id, last))
  }

  private tableRow(id: string | undefined, last: LiveRow | undefined): TableRow {
    const a = this.accumulator!
    const counts = a.summary.counts(id)
    const h = a.summary.histogram(id, 'latency')
    const stats = h && h.totalCount > 0 ? histogramStats(h, [50, 95, 99]) : undefined
    const ms = (us: number | undefined) => (us === undefined ? null : Math.round(us) / 1000)
    const second = id === undefined ? last?.total : last?.endpoints[id]
    return {
      endpoint: id ?? 'total',
      requests: counts?.requests ?? 0,
      ok: counts?.ok ?? 0,
      errors: counts ? counts.requests - counts.ok : 0,
      dropped: counts?.dropped ?? 0,
      askedRps: second?.asked ?? 0,
      achievedRps: second?.achieved ?? 0,
      p50: ms(stats?.percentiles[0]),
      p95: ms(stats?.percentiles[1]),
      p99: ms(stats?.percentiles[2]),
      max: ms(stats?.max),
    }
  }

  private thresholds(): ThresholdResult[] {
    if (this.final) return [...this.final.thresholds]
    return evaluateThresholds(this.options.thresholds, this.accumulator!.summary)
  }
}

/** Runs each piece in a turn of the event loop of its own (setImmediate), in order. */
function runInTurns(pieces: readonly (() => void)[]): void {
  let i = 0
  const next = () => {
    pieces[i++]!()
    if (i < pieces.length) setImmediate(next)
  }
  setImmediate(next)
}
