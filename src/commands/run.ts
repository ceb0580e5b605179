import { existsSync, rmdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { timeScaledSlos } from '../capacity/slo.js'
import { checkinVisitData, isoDate } from '../checkin/index.js'
import { workersOf } from '../cluster/fleet.js'
import { sharedRunId } from '../cluster/run-id.js'
import type { RunConfig } from '../config/schema.js'
import { readCaFile, resolveHeaders } from '../config/target-access.js'
import type { ThresholdSpec } from '../config/thresholds.js'
import type { VisitDataSource } from '../engine/index.js'
import { CheckinLoadError, ConfigError, EXIT, isCheckinLoadError, UsageError } from '../errors.js'
import {
  closeExporters,
  exportersObserver,
  type LiveExporter,
  type RunObserver,
  redactConfig,
  SeriesWriter,
  startExporters,
} from '../metrics/index.js'
import { makeOutputDir } from '../metrics/output-dir.js'
// process.js, not the index: the index loads fastify, which the generator never needs
import type { MockProcess } from '../mock/process.js'
import type { EndReason } from '../model/results.js'
import { connectsPerVisit, deriveRates, endpointIds, runProfile, stagesDurationMs } from '../profile/index.js'
import type { DerivedProfile, Profile } from '../profile/types.js'
import { findAbort, prepareOutputFiles, runThresholds, SERIES_FILE, writeRunFiles } from '../report/index.js'
import { type LoadSource, Session, type SessionResult, warmUpSession } from '../session/index.js'
import { makeRunId, profileRecord, runSeed } from './run-identity.js'
import { progress } from './run-progress.js'
import type { RunHandle, RunOptions, RunOutcome } from './run-types.js'
import { type RunPage, startRunPage, steer, withControls } from './run-web.js'
import { installSignals } from './signals.js'
import { startStandIn, trustingStandIn } from './stand-in.js'

export type { LiveEndpoint, RunHandle, RunOptions, RunOutcome, RunProgress, RunStarted } from './run-types.js'

/** Runs to the end; see startRun for a handle that can be stopped. */
export function runCommand(config: RunConfig, options: RunOptions = {}): Promise<RunOutcome> {
  return startRun(config, options).done
}

export function startRun(config: RunConfig, options: RunOptions = {}): RunHandle {
  let engine: LoadSource | undefined
  let stopRequested = false
  let abortRequested = false
  const control = {
    stop() {
      stopRequested = true
      engine?.stop()
    },
    setUserScale: (scale: number, atEpochMs?: number) => engine && steer(engine, scale, atEpochMs),
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

/** What a run is, settled before anything starts: the load, its names, and a writable folder. */
interface RunPlan {
  readonly config: RunConfig
  readonly profile: Profile
  readonly endpoints: readonly string[]
  readonly derived: DerivedProfile
  readonly seed: number
  readonly runId: string
  readonly runDir: string
  readonly thresholds: readonly ThresholdSpec[]
  readonly plannedMs: number
  /** --workers N: N processes run one shard each; this one merges their seconds (src/cluster/fleet.ts) */
  readonly workers: number
  readonly data: VisitDataSource
  /** request headers (secrets resolved) and the CA to trust, read before anything starts */
  readonly headers: Readonly<Record<string, string>>
  readonly ca: Buffer | undefined
  readonly series: SeriesWriter
}

async function execute(
  config: RunConfig,
  options: RunOptions,
  control: { stop(): void; abort(): void },
  setEngine: (engine: LoadSource) => void,
): Promise<RunOutcome> {
  const plan = planRun(config)
  // warm up while the stand-in boots; a nicety (see warmUpSession): a run goes on without it
  const warming =
    options.warmUp === false || plan.workers > 1
      ? Promise.resolve()
      : warmUpSession({
          flows: plan.profile.flows,
          endpoints: plan.endpoints,
          data: plan.data,
          transport: config.transport,
          clock: config.clock,
          onSecond: ({ t, summary }) => findAbort(plan.thresholds, summary, (t + 1) * 1000),
        }).catch(() => {})
  // from here on, a signal stops the run (even one that arrives before the engine starts)
  const signals = options.handleSignals !== false ? installSignals(control) : undefined
  let mock: MockProcess | undefined
  try {
    mock = await startStandIn(config, plan.seed)
  } catch (error) {
    signals?.remove()
    plan.series.close()
    await warming
    throw error
  }
  const target = config.target ?? mock!.url
  const warn = (message: string) => options.onWarning?.(message)
  let exporters: LiveExporter[] = []
  let page: RunPage | undefined
  let session: Session
  let result: SessionResult
  try {
    exporters = await startRunExporters(plan, target, warn)
    page = await startRunPage(plan, { session: () => session, exporters: () => exporters }, warn)
    const observers = [...(options.observers ?? []), ...exportersObservers(plan, exporters)]
    observers.push(...(page?.observers ?? []))
    await warming
    const startAtMs = options.startAt ? await options.startAt() : config.startAtMs
    session = createSession(trustingStandIn(plan, mock), target, observers, startAtMs, warn)
    watchSeconds(session, plan, target, options)
    setEngine(session.engine)
    options.onEngine?.(session.engine)
    options.onStart?.({
      runId: plan.runId,
      runDir: plan.runDir,
      target,
      embedded: mock !== undefined,
      plannedS: plan.plannedMs / 1000,
      seed: plan.seed,
      profile: plan.derived,
      exporters: exporters.map((e) => ({ name: e.name, url: e.url })),
      workers: plan.workers,
      ...(page && { web: page.url }),
    })
    result = await session.run()
    if (result.headerFailure !== undefined) refuseRun(plan, result.headerFailure)
  } catch (error) {
    signals?.remove()
    plan.series.close()
    await Promise.all([closeExporters(exporters).catch(() => {}), page?.close()])
    await mock?.stop()
    throw error
  }
  signals?.remove()
  return finishRun(plan, session, result, exporters, mock, page)
}

/** Resolves the profile and names the run; refuses a start in the past or a folder that cannot be written. */
function planRun(config: RunConfig): RunPlan {
  const profile = runProfile(config)
  const endpoints = endpointIds(profile)
  const runId = config.runId ?? sharedRunId(config) ?? makeRunId()
  const runDir = join(config.out, runId)
  // against the embedded stand-in with --mock-time-scale F, every downstream delay is F times
  // staging's: the built-in latency bounds (written for staging's delays) scale with them, as
  // capacity's do; the user's own thresholds are judged as written
  const timeScale = config.target === undefined ? config.mockTimeScale : 1
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
  return {
    config,
    profile,
    endpoints,
    derived: deriveRates(profile, config.scale),
    seed: runSeed(config),
    runId,
    runDir,
    thresholds: runThresholds(config, endpoints, (defaults) => timeScaledSlos(defaults, timeScale)),
    plannedMs: stagesDurationMs(config.stages),
    workers: workersOf(config),
    data: checkinVisitData(isoDate(config.startAtMs ?? Date.now())),
    headers: resolveHeaders(config),
    ca: readCaFile(config.caFile),
    series: openSeries(runDir),
  }
}

function openSeries(runDir: string): SeriesWriter {
  try {
    makeOutputDir(runDir)
    return new SeriesWriter(join(runDir, SERIES_FILE))
  } catch (error) {
    throw new UsageError(
      `cannot write the results in ${runDir}: ${(error as Error).message}; choose another --out`,
      'CL_OUTPUT',
    )
  }
}

function startRunExporters(plan: RunPlan, target: string, warn: (message: string) => void) {
  const { config, profile } = plan
  return startExporters(config, {
    runId: plan.runId,
    shard: config.shard,
    target,
    endpoints: plan.endpoints,
    methods: Object.fromEntries(plan.derived.endpoints.map((e) => [e.endpoint, e.method])),
    flows: profile.flows.map((flow) => ({
      name: flow.name,
      endpoints: [...new Set(flow.steps.map((step) => step.endpoint))],
    })),
    onWarning: warn,
  })
}

function exportersObservers(plan: RunPlan, exporters: readonly LiveExporter[]): RunObserver[] {
  if (exporters.length === 0) return []
  const shardCount = plan.config.shard?.count ?? 1
  const rpsAtShare1 = Object.fromEntries(
    deriveRates(plan.profile, 1).endpoints.map((e) => [e.endpoint, e.rps / shardCount]),
  )
  return [exportersObserver(exporters, { rpsAtShare1 })]
}

/** The run's session: this process's engine, or (--workers N) a fleet of worker processes. */
function createSession(
  plan: RunPlan,
  target: string,
  observers: readonly RunObserver[],
  startAtMs: number | undefined,
  warn: (message: string) => void,
): Session {
  const { config, seed } = plan
  const header = {
    runId: plan.runId,
    target,
    ...(config.shard !== undefined && { shard: config.shard }),
    config: redactConfig({ ...config, seed }),
    profile: profileRecord(plan.profile, plan.derived),
    endpoints: [...plan.endpoints],
  }
  const common = { endpoints: plan.endpoints, header, series: plan.series, observers, onWarning: warn }
  if (plan.workers > 1) {
    return new Session({
      ...common,
      load: {
        kind: 'fleet',
        options: {
          workers: plan.workers,
          config,
          target,
          runId: plan.runId,
          runDir: plan.runDir,
          seed,
          plannedMs: plan.plannedMs,
        },
      },
    })
  }
  const { ca } = plan
  return new Session({
    ...common,
    load: {
      kind: 'engine',
      options: {
        target,
        flows: plan.profile.flows,
        stages: config.stages,
        startShare: config.startShare,
        scale: config.scale,
        arrival: config.arrival,
        seed,
        ...(config.shard !== undefined && { shard: config.shard }),
        ...(startAtMs !== undefined && { startAtMs }),
        maxInFlight: config.maxInFlight,
        ...(config.connections !== undefined && { connections: config.connections }),
        connectionPerVisit: connectsPerVisit(config),
        timeoutMs: config.timeoutMs,
        headers: plan.headers,
        ...(ca !== undefined && { ca }),
        insecure: config.insecure,
        data: plan.data,
        transport: config.transport,
        clock: config.clock,
      },
    },
  })
}

/** The run's own subscribers: the thresholds that abort, the live view, the caller's hook. */
function watchSeconds(session: Session, plan: RunPlan, target: string, options: RunOptions): void {
  const run = { runId: plan.runId, runDir: plan.runDir, target, plannedMs: plan.plannedMs }
  session.onSecond(({ t, second, summary }) => {
    const abort = findAbort(plan.thresholds, summary, (t + 1) * 1000)
    if (abort) {
      session.end(
        'aborted_by_threshold',
        `threshold ${abort.metric} ${abort.expr} failed (value ${abort.value}): run aborted`,
      )
    }
    options.onProgress?.(progress(run, plan.endpoints, second, summary, session.draining))
  })
  if (options.onSecond !== undefined) session.onSecond(options.onSecond)
}

/** The header line could not be written: nothing was sent; the run is refused and leaves no folder. */
function refuseRun(plan: RunPlan, failure: Error): never {
  plan.series.close()
  rmSync(plan.series.path, { force: true })
  try {
    rmdirSync(plan.runDir)
  } catch {
    // not empty (or gone): leave it
  }
  throw new UsageError(
    `cannot write the results in ${plan.runDir}: writing ${plan.series.path} failed: ${failure.message}; no load was sent (free some space or choose another --out)`,
    'CL_OUTPUT',
  )
}

/** summary.json and report.html, the exporters' last word, and the outcome. */
async function finishRun(
  plan: RunPlan,
  session: Session,
  result: SessionResult,
  exporters: readonly LiveExporter[],
  mock: MockProcess | undefined,
  page?: RunPage,
): Promise<RunOutcome> {
  const { config, runDir } = plan
  const { endReason, note } = result
  const stopping = mock?.stop()
  const built = result.summary!.build({ endedAt: result.end.endedAt, endReason, thresholds: plan.thresholds })
  const summary = withControls(page, built)
  let files: RunOutcome['files'] | undefined
  let filesFailure: Error | undefined
  try {
    files = await writeRunFiles(runDir, summary, result.chart!.result(), {
      ...(config.baseline !== undefined && { baseline: config.baseline }),
      ...(config.junit !== undefined && { junit: config.junit }),
      ...(config.markdown !== undefined && { markdown: config.markdown }),
    })
  } catch (error) {
    // a full disk (or a baseline that cannot be read): say so once everything is stopped
    filesFailure = error as Error
  }
  for (const exporter of exporters) exporter.onThresholds?.(summary.thresholds)
  const shown = page?.finish(summary, files?.report)
  // exporters close last: Prometheus lingers so that its last scrape sees the end
  await session.close()
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
    runId: plan.runId,
    runDir,
    summary,
    files,
    endReason,
    engine: result.engine,
    exitCode: exitCodeOf(endReason, summary.passed),
    ...(shown && { page: shown }),
    ...(note !== undefined && { note }),
  }
}

/** 0 passed, 99 a threshold failed, 1 the run is incomplete (a write failed, a worker died). */
function exitCodeOf(endReason: EndReason, passed: boolean): 0 | 1 | 99 {
  if (endReason === 'write_failed' || endReason === 'error') return EXIT.internal
  return passed ? 0 : 99
}
