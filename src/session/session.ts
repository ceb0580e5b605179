import { type FleetOptions, type FleetResult, ShardFleet } from '../cluster/fleet.js'
import { Engine, type EngineOptions, type EngineResult } from '../engine/index.js'
import { DeferredWork, GeneratorMonitor, Recorder, type RunObserver, SeriesWriter } from '../metrics/index.js'
import { type EndReason, SCHEMA_VERSION, type SeriesEnd, type SeriesHeader } from '../model/results.js'
import type { ChartRecorder, SummaryBuilder } from '../report/index.js'
import { decodedOf, type SecondListener, SecondPipeline } from './pipeline.js'

/**
 * A session: one load source (an engine here, or a fleet of worker processes) and the per-second
 * pipeline it feeds (pipeline.ts). `run`, every capacity step and the warm-up go through it.
 *
 * Per second, in one direction: the engine's clock tick folds the recorder's interval (cheap), and
 * the rest (encoding the histograms, the series line, the summary, observers, subscribers) is
 * deferred in pieces between arrivals. Ends: `completed` at the end of the stages; `interrupted`
 * by stop(); `write_failed` when a series line could not be written; or the reason a subscriber
 * gives to end() (a threshold's abort). The first reason given wins.
 */

/** The engine's options but those the session supplies (the measurement sink and the hooks). */
export type SessionEngineOptions = Omit<EngineOptions, 'sink' | 'hooks' | 'endpoints'>

export type SessionLoad =
  | { readonly kind: 'engine'; readonly options: SessionEngineOptions }
  | { readonly kind: 'fleet'; readonly options: Omit<FleetOptions, 'hooks' | 'onWarning'> }

/** The series header but its time zero, which the load source fixes when it starts. */
export type HeaderFields = Omit<SeriesHeader, 'type' | 'schemaVersion' | 'startedAt' | 'startedAtMs'>

export interface SessionOptions {
  readonly load: SessionLoad
  /** endpoint ids: a step's endpoint number is its index here */
  readonly endpoints: readonly string[]
  readonly header: HeaderFields
  /** series.ndjson; written from the header to the end line, closed by the session */
  readonly series?: SeriesWriter
  /** or the path of one for the session to open (a capacity step's) */
  readonly seriesPath?: string
  /** consumers of the series (exporters): told the header, every second and the end; closed by close() */
  readonly observers?: readonly RunObserver[]
  /** seconds before this one are written, not judged (a capacity step's warm-up; default 0) */
  readonly judgeFromS?: number
  /** keep the report's chart data (default true) */
  readonly chart?: boolean
  /** a problem that does not end the session (an observer failing) */
  onWarning?(message: string): void
}

/** What drives the load: `draining` once arrivals stopped. */
export type LoadSource = Engine | ShardFleet

export interface SessionResult {
  readonly engine: EngineResult | FleetResult
  readonly endReason: EndReason
  /** why it ended early (a threshold, a write failure, workers that died) */
  readonly note?: string
  /** the header as written (undefined when the load never started) */
  readonly header?: SeriesHeader
  /** the header line could not be written: nothing was sent, the run is refused */
  readonly headerFailure?: Error
  /** everything judged */
  readonly summary?: SummaryBuilder
  readonly chart?: ChartRecorder
  readonly end: SeriesEnd
}

export class Session {
  /** the load source: stop(), abort(), draining; steering the rate goes through here */
  readonly engine: LoadSource
  readonly pipeline: SecondPipeline
  private readonly monitor: GeneratorMonitor | undefined
  private readonly deferred: DeferredWork
  private readonly series: SeriesWriter | undefined
  private pipelineError: unknown
  private headerFailure: Error | undefined
  private header: SeriesHeader | undefined
  private reason: { endReason: EndReason; note?: string } | undefined

  constructor(private readonly options: SessionOptions) {
    const warn = (message: string) => options.onWarning?.(message)
    this.series =
      options.series ?? (options.seriesPath !== undefined ? new SeriesWriter(options.seriesPath) : undefined)
    this.pipeline = new SecondPipeline({
      ...(this.series !== undefined && { series: this.series }),
      ...(options.observers !== undefined && { observers: options.observers }),
      ...(options.judgeFromS !== undefined && { judgeFromS: options.judgeFromS }),
      ...(options.chart !== undefined && { chart: options.chart }),
      onWriteFailed: (note) => this.end('write_failed', note),
      onWarning: warn,
    })
    // an exception in the pipeline ends the session, as it did when the pipeline ran inside the tick
    this.deferred = new DeferredWork((error) => {
      this.pipelineError ??= error
      this.engine.abort()
    })
    const load = options.load
    if (load.kind === 'fleet') {
      this.engine = new ShardFleet({
        ...load.options,
        onWarning: warn,
        hooks: {
          onStart: (at) => this.start(at),
          onSecond: (second) => {
            for (const piece of this.pipeline.pieces(second)) piece()
          },
        },
      })
      return
    }
    const recorder = new Recorder(options.endpoints)
    const monitor = new GeneratorMonitor()
    this.monitor = monitor
    this.engine = new Engine({
      ...load.options,
      endpoints: options.endpoints,
      sink: recorder,
      hooks: {
        onStart: (at) => this.start(at),
        onSecond: (t, share, inFlight) => {
          // the last second's pieces read histograms the fold is about to reuse: done first
          this.deferred.flush()
          const folded = recorder.foldSecond(t, share, monitor.sample(inFlight), true)
          this.deferred.defer(
            ...folded.encoding,
            ...this.pipeline.pieces(folded.second, decodedOf(folded.second, folded.histograms)),
          )
        },
      },
    })
  }

  /** Subscribes to every folded second (written and accumulated); returns the unsubscribe. */
  onSecond(listener: SecondListener): () => void {
    return this.pipeline.onSecond(listener)
  }

  /** Ends the session early with this reason (the first reason given wins); arrivals stop, flows finish. */
  end(endReason: EndReason, note?: string): void {
    if (this.reason !== undefined) return
    this.reason = { endReason, ...(note !== undefined && { note }) }
    this.engine.stop()
  }

  /** arrivals stopped: flows in flight are finishing */
  get draining(): boolean {
    return this.engine.draining
  }

  /** Runs the load to its end; the series gets its end line. Observers stay open until close(). */
  async run(): Promise<SessionResult> {
    let engine: EngineResult | FleetResult
    try {
      try {
        engine = await this.engine.run()
      } finally {
        this.deferred.flush()
      }
      if (this.pipelineError !== undefined) throw this.pipelineError
    } catch (error) {
      this.monitor?.close()
      this.series?.close()
      throw error
    }
    this.monitor?.close()
    let endReason: EndReason = this.reason?.endReason ?? 'completed'
    const notes = [this.reason?.note]
    if (endReason === 'completed' && engine.stopped) endReason = 'interrupted'
    const failures = (engine as Partial<FleetResult>).failures ?? []
    if (failures.length > 0) {
      // a worker died: the run says so, and keeps what the others (and it, until then) measured
      if (endReason === 'completed' || endReason === 'interrupted') endReason = 'error'
      notes.push(...failures)
    }
    const note = notes.filter((line) => line !== undefined).join('\n')
    const end: SeriesEnd = {
      type: 'end',
      endedAt: new Date(engine.endedAtMs).toISOString(),
      reason: endReason,
      abandonedInFlight: engine.abandonedInFlight,
    }
    if (this.headerFailure === undefined) this.pipeline.end(end)
    else this.series?.close()
    const summary = this.pipeline.summary
    const chart = this.pipeline.chart
    return {
      engine,
      endReason,
      ...(note !== '' && { note }),
      ...(this.header !== undefined && { header: this.header }),
      ...(this.headerFailure !== undefined && { headerFailure: this.headerFailure }),
      ...(summary !== undefined && { summary }),
      ...(chart !== undefined && { chart }),
      end,
    }
  }

  /** Closes the observers (awaited: Prometheus lingers for its last scrape). */
  close(): Promise<void> {
    return this.pipeline.close()
  }

  /** Time zero: the header line; one that cannot be written ends the session before any load. */
  private start(startedAtMs: number): void {
    const fields = this.options.header
    const load = this.options.load
    // the HTTP client and the clock the engine runs on, recorded with the run's settings
    const engineChoices =
      load.kind === 'engine'
        ? {
            ...(load.options.transport !== undefined && { transport: load.options.transport }),
            ...(load.options.clock !== undefined && { clock: load.options.clock }),
          }
        : {}
    const header: SeriesHeader = {
      type: 'header',
      schemaVersion: SCHEMA_VERSION,
      runId: fields.runId,
      target: fields.target,
      startedAt: new Date(startedAtMs).toISOString(),
      startedAtMs,
      ...(fields.shard !== undefined && { shard: fields.shard }),
      config: { ...fields.config, ...engineChoices },
      profile: fields.profile,
      endpoints: fields.endpoints,
    }
    this.header = header
    try {
      this.pipeline.start(header)
    } catch (error) {
      this.headerFailure = error as Error
      this.engine.abort()
    }
  }
}
