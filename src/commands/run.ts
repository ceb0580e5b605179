import { randomBytes } from 'node:crypto'
import { existsSync, rmdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { timeScaledSlos } from '../capacity/slo.js'
import { checkinVisitData, isoDate } from '../checkin/index.js'
import { type FleetResult, ShardFleet, workersOf } from '../cluster/fleet.js'
import { sharedRunId } from '../cluster/run-id.js'
import type { RunConfig } from '../config/schema.js'
import { readCaFile, resolveHeaders } from '../config/target-access.js'
import type { ThresholdSpec } from '../config/thresholds.js'
import {
  Engine,
  type EngineResult,
  parseClock,
  parseTransport,
  randomSeed,
  type VisitDataSource,
} from '../engine/index.js'
import { warmUp } from '../engine/warmup.js'
import { CheckinLoadError, ConfigError, EXIT, isCheckinLoadError, UsageError } from '../errors.js'
import {
  closeExporters,
  DeferredWork,
  exportersObserver,
  type FoldedSecond,
  GeneratorMonitor,
  type LiveExporter,
  Recorder,
  type RunObserver,
  redactConfig,
  SeriesWriter,
  startExporters,
  warmUpFolds,
} from '../metrics/index.js'
import { makeOutputDir } from '../metrics/output-dir.js'
// process.js, not the index: the index loads fastify, which the generator never needs
import { startMockProcess } from '../mock/process.js'
import {
  type EndReason,
  type GeneratorHealth,
  SCHEMA_VERSION,
  type SeriesEnd,
  type SeriesHeader,
  type SeriesSecond,
  type Summary,
} from '../model/results.js'
import { deriveRates, endpointIds, resolveProfile, stagesDurationMs } from '../profile/index.js'
import type { DerivedProfile, Profile } from '../profile/types.js'
import {
  type DecodedInterval,
  type DecodedSecond,
  findAbort,
  RunAccumulator,
  runThresholds,
  SERIES_FILE,
  type WrittenFiles,
  prepareOutputFiles,
  writeRunFiles,
} from '../report/index.js'

/**
 * `checkin-load run` as a library call: resolve the profile, start the embedded stand-in when
 * there is no target, drive the engine through the stages, write series.ndjson as it goes and
 * summary.json + report.html at the end, judge the thresholds. Prints nothing: the caller gets a
 * progress snapshot once a second and the outcome at the end (src/cli/run.ts prints them).
 *
 * Ending: at the end of the stages, arrivals stop and flows in flight get up to the timeout to
 * finish (the rest count as timeouts). stop() (the first SIGINT/SIGTERM) ends the same way, early;
 * a second signal ends at once. Either way the results of what was measured are written.
 */
export interface RunProgress {
  readonly runId: string
  readonly runDir: string
  readonly target: string
  /** seconds since the start (the second just folded ends here) */
  readonly elapsedS: number
  /** length of the stages, s */
  readonly plannedS: number
  /** arrivals stopped: flows in flight are finishing */
  readonly draining: boolean
  /** share of the profile asked at the end of this second (x --scale) */
  readonly share: number
  /** requests asked (sent + dropped) and completed in this second, all endpoints */
  readonly askedRps: number
  readonly achievedRps: number
  readonly endpoints: readonly LiveEndpoint[]
  readonly generator: GeneratorHealth
  /** the second just folded, as written to series.ndjson */
  readonly second: SeriesSecond
}

export interface LiveEndpoint {
  readonly endpoint: string
  /** in this second */
  readonly askedRps: number
  readonly achievedRps: number
  /** since the start */
  readonly requests: number
  readonly errors: number
  readonly dropped: number
  /** latency from the intended time, since the start (ms) */
  readonly p95Ms: number
}

export interface RunStarted {
  readonly runId: string
  readonly runDir: string
  readonly target: string
  /** the stand-in's URL when the run started one */
  readonly embedded: boolean
  readonly plannedS: number
  readonly seed: number
  readonly profile: DerivedProfile
  /** live exporters serving or sending metrics (Prometheus URL, DogStatsD address) */
  readonly exporters: readonly { readonly name: string; readonly url?: string | undefined }[]
  /** worker processes (--workers), each running one shard; 1: this process runs the engine */
  readonly workers?: number
}

export interface RunOptions {
  onStart?(info: RunStarted): void
  onProgress?(progress: RunProgress): void
  /** more consumers of the per-second series (Prometheus, DogStatsD exporters) */
  readonly observers?: readonly RunObserver[]
  /** stop gracefully on the first SIGINT/SIGTERM, at once on the second (default true) */
  readonly handleSignals?: boolean
  /** a problem that does not stop the run (an exporter failing, DogStatsD unreachable) */
  onWarning?(message: string): void
  /** warm the hot path up before time zero, against a local throwaway server (default true) */
  readonly warmUp?: boolean
  /**
   * Called once the run is ready to send (target up, warmed up): resolves to the wall-clock start
   * (epoch ms). A worker of `run --workers N` gets the start shared by all workers this way.
   * Default: --start-at, or now.
   */
  startAt?(): Promise<number>
}

export interface RunOutcome {
  readonly runId: string
  readonly runDir: string
  readonly summary: Summary
  readonly files: WrittenFiles
  readonly endReason: EndReason
  readonly engine: EngineResult
  /**
   * 0 every threshold passed, 99 one failed, 1 the series could not be written (write_failed) or a
   * worker of --workers died (error): the results hold what was measured, but not the whole run
   */
  readonly exitCode: 0 | 1 | 99
  /** why the run ended early, when a threshold aborted it or a write failed */
  readonly note?: string
}

/** The handle of a run in progress: stop() ends it gracefully, abort() at once. */
export interface RunHandle {
  readonly done: Promise<RunOutcome>
  stop(): void
  abort(): void
}

/** Runs to the end; see startRun for a handle that can be stopped. */
export function runCommand(config: RunConfig, options: RunOptions = {}): Promise<RunOutcome> {
  return startRun(config, options).done
}

/** A run id: UTC time to the second, then 4 random hex digits (2026-11-26T22-00-00Z-ab12). */
export function makeRunId(now = new Date()): string {
  const stamp = now.toISOString().slice(0, 19).replace(/:/g, '-')
  return `${stamp}Z-${randomBytes(2).toString('hex')}`
}

/**
 * The seed of a run: --seed; else, for a shard with a shared start time, one derived from that
 * time, so that every shard draws the same arrival stream and keeps its own slice of it (the
 * shards then add up to the profile exactly); else a random one. It is written to the results.
 */
export function runSeed(config: Pick<RunConfig, 'seed' | 'shard' | 'startAtMs'>): number {
  if (config.seed !== undefined) return config.seed
  if (config.shard !== undefined && config.startAtMs !== undefined)
    return Math.floor(config.startAtMs / 1000) % 2 ** 31
  return randomSeed()
}

/** The derived load, as the series header and summary show it ("the load asked for"). */
export function profileRecord(profile: Profile, derived: DerivedProfile): Record<string, unknown> {
  const round = (x: number) => Math.round(x * 1000) / 1000
  return {
    name: profile.name,
    scale: derived.scale,
    flows: Object.fromEntries(
      derived.flows.map((f) => [f.name, { perMinute: round(f.perMinute), perHour: round(f.perHour) }]),
    ),
    endpoints: Object.fromEntries(
      derived.endpoints.map((e) => [e.endpoint, { method: e.method, rpm: round(e.rpm), rps: round(e.rps) }]),
    ),
    totalRpm: round(derived.totalRpm),
    totalRps: round(derived.totalRps),
  }
}

/** What drives a run's load: the engine here, or (--workers N) a fleet of worker processes. */
type LoadSource = Engine | ShardFleet

export function startRun(config: RunConfig, options: RunOptions = {}): RunHandle {
  let engine: LoadSource | undefined
  let stopRequested = false
  let abortRequested = false
  const control = {
    stop() {
      stopRequested = true
      engine?.stop()
    },
    abort() {
      stopRequested = true
      abortRequested = true
      engine?.abort()
    },
  }
  const done = execute(config, options, control, (e) => {
    engine = e
    if (abortRequested) e.abort()
    else if (stopRequested) e.stop()
  })
  return { done, ...control }
}

async function execute(
  config: RunConfig,
  options: RunOptions,
  control: { stop(): void; abort(): void },
  setEngine: (engine: LoadSource) => void,
): Promise<RunOutcome> {
  const profile = resolveProfile(config.profile, {
    checkInsPerHour: config.checkInsPerHour,
    preCheckInsPerHour: config.preCheckInsPerHour,
    withDemographics: config.withDemographics,
  })
  const endpoints = endpointIds(profile)
  const derived = deriveRates(profile, config.scale)
  const seed = runSeed(config)
  const runId = config.runId ?? sharedRunId(config) ?? makeRunId()
  const runDir = join(config.out, runId)
  const headers = resolveHeaders(config)
  const ca = readCaFile(config.caFile)
  // against the embedded stand-in with --mock-time-scale F, every downstream delay is F times
  // staging's: the built-in latency bounds (written for staging's delays) scale with them, as
  // capacity's do; the user's own thresholds are judged as written
  const timeScale = config.target === undefined ? config.mockTimeScale : 1
  const thresholds = runThresholds(config, endpoints, (defaults) => timeScaledSlos(defaults, timeScale))
  const plannedMs = stagesDurationMs(config.stages)
  // --workers N: N processes run one shard each; this one merges their seconds (src/cluster/fleet.ts)
  const workers = workersOf(config)
  if (config.startAtMs !== undefined && config.startAtMs < Date.now() - 5000) {
    throw new ConfigError(
      `the start time ${new Date(config.startAtMs).toISOString()} is in the past: give a time a little ahead, shared by all shards`,
    )
  }
  if (existsSync(join(runDir, SERIES_FILE))) {
    throw new ConfigError(`the run folder ${runDir} already holds a run: choose another --run-id or --out`)
  }
  // the results must be writable before anything starts: a clear error, and no load sent
  prepareOutputFiles({ '--junit': config.junit, '--markdown': config.markdown })
  let series: SeriesWriter
  try {
    makeOutputDir(runDir)
    series = new SeriesWriter(join(runDir, SERIES_FILE))
  } catch (error) {
    throw new UsageError(
      `cannot write the results in ${runDir}: ${(error as Error).message}; choose another --out`,
      'CL_OUTPUT',
    )
  }

  const data = checkinVisitData(isoDate(config.startAtMs ?? Date.now()))
  // warm up while the stand-in boots; a nicety (see warmUp): a run goes on without it
  const warming =
    options.warmUp === false || workers > 1
      ? Promise.resolve()
      : warmUpRun(profile, endpoints, data, thresholds).catch(() => {})
  // from here on, a signal stops the run (even one that arrives before the engine starts)
  const signals = options.handleSignals !== false ? installSignals(control) : undefined
  let mock: Awaited<ReturnType<typeof startMockProcess>> | undefined
  try {
    mock =
      config.target === undefined
        ? await startMockProcess({
            preset: config.mockPreset,
            timeScale: config.mockTimeScale,
            seed,
            ...(config.mockWorkers !== undefined && { workers: config.mockWorkers }),
          })
        : undefined
  } catch (error) {
    signals?.remove()
    series.close()
    await warming
    throw error
  }
  const target = config.target ?? mock!.url
  const monitor = new GeneratorMonitor()
  const warn = (message: string) => options.onWarning?.(message)
  let exporters: LiveExporter[] = []
  let accumulator: RunAccumulator | undefined
  let endReason: EndReason = 'completed'
  let note: string | undefined
  /** the header line could not be written: the run is refused before any load is sent */
  let headerFailure: Error | undefined
  let engineResult: EngineResult
  const observers: RunObserver[] = []
  try {
    exporters = await startExporters(config, {
      runId,
      shard: config.shard,
      target,
      endpoints,
      methods: Object.fromEntries(derived.endpoints.map((e) => [e.endpoint, e.method])),
      flows: profile.flows.map((flow) => ({
        name: flow.name,
        endpoints: [...new Set(flow.steps.map((step) => step.endpoint))],
      })),
      onWarning: warn,
    })
    const shardCount = config.shard?.count ?? 1
    observers.push(
      ...(options.observers ?? []),
      ...(exporters.length > 0
        ? [
            exportersObserver(exporters, {
              rpsAtShare1: Object.fromEntries(
                deriveRates(profile, 1).endpoints.map((e) => [e.endpoint, e.rps / shardCount]),
              ),
            }),
          ]
        : []),
    )
    await warming
    const startAtMs = options.startAt ? await options.startAt() : config.startAtMs
    const recorder = new Recorder(endpoints)
    const seriesWriter = series
    // the HTTP client and the clock, chosen by environment (read here: the engine reads none; each
    // shard's worker is a `run` of its own): the engine below runs on them and the header records them
    const engineChoices = {
      transport: parseTransport(process.env.CHECKIN_LOAD_TRANSPORT),
      clock: parseClock(process.env.CHECKIN_LOAD_CLOCK),
    }
    const hooks = {
      onStart(startedAtMs: number) {
        const header: SeriesHeader = {
          type: 'header',
          schemaVersion: SCHEMA_VERSION,
          runId,
          target,
          startedAt: new Date(startedAtMs).toISOString(),
          startedAtMs,
          ...(config.shard !== undefined && { shard: config.shard }),
          config: redactConfig({ ...config, seed, ...engineChoices }),
          profile: profileRecord(profile, derived),
          endpoints,
        }
        accumulator = new RunAccumulator(header)
        try {
          seriesWriter.onHeader(header)
        } catch (error) {
          // nothing has been sent yet: end at once, and refuse the run below
          headerFailure = error as Error
          engine.abort()
          return
        }
        notifyAll(observers, (o) => o.onHeader?.(header), warn)
      },
      // the per-second pipeline: series line, summary and chart, observers, abort check, live view
      onSecond(second: SeriesSecond, decodedSecond?: DecodedSecond) {
        for (const piece of hooks.pieces(second, decodedSecond)) piece()
      },
      /** The pipeline in pieces of about a millisecond each (see DeferredWork). */
      pieces(second: SeriesSecond, decodedSecond?: DecodedSecond): (() => void)[] {
        if (headerFailure !== undefined) return []
        return [
          () => {
            try {
              seriesWriter.onSecond(second)
            } catch (error) {
              if (endReason === 'completed' || endReason === 'interrupted') {
                endReason = 'write_failed'
                note = `writing ${seriesWriter.path} failed: ${(error as Error).message}`
                engine.stop()
              }
            }
          },
          ...accumulator!.addPieces(second, decodedSecond),
          () => notifyAll(observers, (o) => o.onSecond?.(second), warn),
          () => {
            const abort = findAbort(thresholds, accumulator!.summary, (second.t + 1) * 1000)
            if (abort && endReason === 'completed') {
              endReason = 'aborted_by_threshold'
              note = `threshold ${abort.metric} ${abort.expr} failed (value ${abort.value}): run aborted`
              engine.stop()
            }
            options.onProgress?.(
              progress(runDir, second, accumulator!, recorder, second.t, plannedMs, engine.draining),
            )
          },
        ]
      },
    }
    // an exception in the pipeline ends the run, as it did when the pipeline ran inside the engine's tick
    let pipelineError: unknown
    const deferred = new DeferredWork((error) => {
      pipelineError ??= error
      engine.abort()
    })
    const engine: LoadSource =
      workers > 1
        ? new ShardFleet({ workers, config, target, runId, runDir, seed, plannedMs, hooks, onWarning: warn })
        : new Engine({
            target,
            flows: profile.flows,
            endpoints,
            stages: config.stages,
            startShare: config.startShare,
            scale: config.scale,
            arrival: config.arrival,
            seed,
            ...(config.shard !== undefined && { shard: config.shard }),
            ...(startAtMs !== undefined && { startAtMs }),
            maxInFlight: config.maxInFlight,
            ...(config.connections !== undefined && { connections: config.connections }),
            timeoutMs: config.timeoutMs,
            headers,
            ...(ca !== undefined && { ca }),
            insecure: config.insecure,
            data,
            ...engineChoices,
            sink: recorder,
            hooks: {
              onStart: hooks.onStart,
              onSecond(t, share, inFlight) {
                // the last second's pieces read histograms the fold is about to reuse: done first
                deferred.flush()
                const folded = recorder.foldSecond(t, share, monitor.sample(inFlight), true)
                deferred.defer(
                  ...folded.encoding,
                  ...hooks.pieces(folded.second, decoded(folded.second, folded.histograms)),
                )
              },
            },
          })
    setEngine(engine)
    options.onStart?.({
      runId,
      runDir,
      target,
      embedded: mock !== undefined,
      plannedS: plannedMs / 1000,
      seed,
      profile: derived,
      exporters: exporters.map((e) => ({ name: e.name, url: e.url })),
      workers,
    })
    try {
      engineResult = await engine.run()
    } finally {
      deferred.flush()
    }
    if (pipelineError !== undefined) throw pipelineError
    if (headerFailure !== undefined) {
      series.close()
      rmSync(series.path, { force: true })
      try {
        rmdirSync(runDir)
      } catch {
        // not empty (or gone): leave it
      }
      throw new UsageError(
        `cannot write the results in ${runDir}: writing ${series.path} failed: ${headerFailure.message}; no load was sent (free some space or choose another --out)`,
        'CL_OUTPUT',
      )
    }
    if (endReason === 'completed' && engineResult.stopped) endReason = 'interrupted'
    const failures = (engineResult as Partial<FleetResult>).failures ?? []
    if (failures.length > 0) {
      // a worker died: the run says so, and writes what the others (and it, until then) measured
      if (endReason === 'completed' || endReason === 'interrupted') endReason = 'error'
      note = [note, ...failures].filter((line) => line !== undefined).join('\n')
    }
  } catch (error) {
    signals?.remove()
    monitor.close()
    series.close()
    await closeExporters(exporters).catch(() => {})
    await mock?.stop()
    throw error
  }
  signals?.remove()
  monitor.close()
  const end: SeriesEnd = {
    type: 'end',
    endedAt: new Date(engineResult.endedAtMs).toISOString(),
    reason: endReason,
    abandonedInFlight: engineResult.abandonedInFlight,
  }
  try {
    series.onEnd(end)
  } catch (error) {
    warn(`writing the end of ${series.path} failed: ${(error as Error).message}`)
  }
  series.close()
  notifyAll(observers, (o) => o.onEnd?.(end), warn)
  const stopping = mock?.stop()
  const summary = accumulator!.summary.build({ endedAt: end.endedAt, endReason, thresholds })
  let files: WrittenFiles | undefined
  let filesFailure: Error | undefined
  try {
    files = await writeRunFiles(runDir, summary, accumulator!.chart.result(), {
      ...(config.baseline !== undefined && { baseline: config.baseline }),
      ...(config.junit !== undefined && { junit: config.junit }),
      ...(config.markdown !== undefined && { markdown: config.markdown }),
    })
  } catch (error) {
    // a full disk (or a baseline that cannot be read): say so once everything is stopped
    filesFailure = error as Error
  }
  for (const exporter of exporters) exporter.onThresholds?.(summary.thresholds)
  // exporters close last: Prometheus lingers so that its last scrape sees the end
  await Promise.all(
    observers.map((o) =>
      Promise.resolve()
        .then(() => o.close?.())
        .catch((error: unknown) => warn(`closing an exporter failed: ${(error as Error).message}`)),
    ),
  )
  await stopping
  if (files === undefined) {
    const reason = filesFailure?.message ?? 'unknown error'
    if (isCheckinLoadError(filesFailure)) throw filesFailure
    throw new CheckinLoadError(
      'CL_WRITE_FAILED',
      `${note ? `${note}; ` : ''}the result files (summary.json, report.html) could not all be written in ${runDir}: ${reason}. series.ndjson holds what was measured: once there is room, "checkin-load report ${runDir}" rebuilds them`,
      EXIT.internal,
    )
  }
  return {
    runId,
    runDir,
    summary,
    files,
    endReason,
    engine: engineResult,
    exitCode:
      (endReason as EndReason) === 'write_failed' || (endReason as EndReason) === 'error'
        ? EXIT.internal
        : summary.passed
          ? 0
          : 99,
    ...(note !== undefined && { note }),
  }
}

/**
 * Warms up the engine (src/engine/warmup.ts), then the per-second pipeline on what the warm-up
 * recorded: the folds of warmUpFolds (src/metrics/recorder.ts) through a throwaway summary and chart,
 * threshold check included. Cold, the first seconds' pipeline took 5–18 ms a piece (compiling),
 * enough to hold back arrivals.
 */
async function warmUpRun(
  profile: Profile,
  endpoints: readonly string[],
  data: VisitDataSource,
  thresholds: readonly ThresholdSpec[],
): Promise<void> {
  const recorder = new Recorder(endpoints)
  await warmUp({ flows: profile.flows, endpoints, data, sink: recorder })
  const accumulator = new RunAccumulator({
    type: 'header',
    schemaVersion: SCHEMA_VERSION,
    runId: 'warm-up',
    target: 'http://127.0.0.1',
    startedAt: new Date(0).toISOString(),
    startedAtMs: 0,
    config: {},
    profile: {},
    endpoints: [...endpoints],
  })
  for (const folded of warmUpFolds(recorder)) {
    for (const piece of accumulator.addPieces(folded.second, decoded(folded.second, folded.histograms)))
      piece()
    findAbort(thresholds, accumulator.summary, (folded.second.t + 1) * 1000)
  }
}

/** The folded second with the recorder's own histograms, so the accumulator need not decode. */
function decoded(second: SeriesSecond, histograms: FoldedSecond['histograms']): DecodedSecond {
  const endpoints = new Map<string, DecodedInterval>()
  for (const [id, h] of histograms) endpoints.set(id, { stats: second.endpoints[id]!, histograms: h })
  return { second, endpoints }
}

/** Calls every observer; one that throws is reported and does not stop the others. */
function notifyAll(
  observers: readonly RunObserver[],
  call: (o: RunObserver) => void,
  warn: (message: string) => void,
): void {
  for (const observer of observers) {
    try {
      call(observer)
    } catch (error) {
      warn(`a metrics observer failed: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
}

function progress(
  runDir: string,
  second: SeriesSecond,
  accumulator: RunAccumulator,
  recorder: Recorder,
  t: number,
  plannedMs: number,
  draining: boolean,
): RunProgress {
  let askedRps = 0
  let achievedRps = 0
  const endpoints: LiveEndpoint[] = []
  for (const id of recorder.endpoints) {
    const stats = second.endpoints[id]!
    askedRps += stats.asked
    achievedRps += stats.requests
    const counts = accumulator.summary.counts(id)
    const histogram = accumulator.summary.histogram(id, 'latency')
    endpoints.push({
      endpoint: id,
      askedRps: stats.asked,
      achievedRps: stats.requests,
      requests: counts?.requests ?? 0,
      errors: counts ? counts.requests - counts.ok : 0,
      dropped: counts?.dropped ?? 0,
      p95Ms: histogram && histogram.totalCount > 0 ? histogram.getValueAtPercentile(95) / 1000 : 0,
    })
  }
  return {
    runId: accumulator.header.runId,
    runDir,
    target: accumulator.header.target,
    elapsedS: t + 1,
    plannedS: plannedMs / 1000,
    draining,
    share: second.share,
    askedRps,
    achievedRps,
    endpoints,
    generator: second.generator,
    second,
  }
}

/** First SIGINT/SIGTERM: graceful stop (of a run, or a capacity search); second: abort. */
export function installSignals(control: { stop(): void; abort(): void }): { remove(): void } {
  let count = 0
  const handler = () => {
    count++
    if (count === 1) control.stop()
    else control.abort()
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
  return {
    remove() {
      process.off('SIGINT', handler)
      process.off('SIGTERM', handler)
    },
  }
}
