import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  buildVerdict,
  CAPACITY_FILE,
  CAPACITY_REPORT_FILE,
  CAPACITY_SCHEMA_VERSION,
  type CapacityFile,
  type CapacitySearchResult,
  type CapacityStep,
  type CoolDown,
  capacitySlos,
  type Phase,
  pauseCoolDown,
  renderCapacityReport,
  roundShare,
  type SearchSettings,
  type StepRecord,
  settingsProblem,
  sloRecords,
  standInCoolDown,
  startCapacitySearch,
  stepRecord,
  timeScaledSlos,
} from '../capacity/index.js'
import { checkinVisitData, isoDate } from '../checkin/index.js'
import { formatDuration } from '../config/parse.js'
import { LIMITS, type RunConfig } from '../config/schema.js'
import { readCaFile, resolveHeaders } from '../config/target-access.js'
import type { ArrivalKind } from '../engine/index.js'
import { ConfigError } from '../errors.js'
import { redactConfig } from '../metrics/index.js'
// process.js, not the index: the index loads fastify, which the generator never needs
import { type MockProcess, startMockProcess } from '../mock/process.js'
import { PRESETS } from '../model/downstream.js'
import { connectsPerVisit, deriveRates, endpointIds, predictWorkers, runProfile } from '../profile/index.js'
import { type CapacityPage, startCapacityPage } from './capacity-web.js'
import { makeRunId, profileRecord, runSeed } from './run-identity.js'
import { installSignals } from './signals.js'

/**
 * `checkin-load capacity` as a library call: ramp the profile's share up until the SLOs break,
 * bisect to the knee, report how much the target holds (src/capacity/ does the search). Without a
 * target it starts the embedded stand-in and, with --mock-time-scale F, compensates: the profile
 * runs at 1/F of its rates against delays x F, which keeps the busy workers (Little's law) and so
 * the knee at the same share of the real profile; latency bounds are judged x F. Prints nothing.
 */
export interface CapacityFlags {
  /** first share of the profile (default 0.1) */
  readonly start?: number
  /** ramp multiplier (default 1.5) */
  readonly factor?: number
  /** relative gap at which bisection stops (default 0.05) */
  readonly precision?: number
  /** highest share tried (default 10) */
  readonly maxScale?: number
  /** lowest share tried when the first steps fail (default start / 10) */
  readonly minScale?: number
  /** judged length of a step, ms (default 30 s) */
  readonly stepDurationMs?: number
  /** unjudged warm-up before each step's judged part, ms (default a fifth of the step) */
  readonly warmupMs?: number
  /** total time limit, ms (default 30 min) */
  readonly maxDurationMs?: number
  /** the pause between steps against a --target, ms (default 5 s) */
  readonly coolDownMs?: number
  /**
   * arrivals of each step (default constant): the share is what the search varies, so each step
   * delivers exactly its share; Poisson arrivals over a short step miss it by their sampling noise
   * (one in ten 2-second steps off by 15 % or more at 150 req/s)
   */
  readonly arrival?: ArrivalKind
  /** SLO expressions, k6 syntax ("http_req_duration{endpoint:post_session}: p(95)<500") */
  readonly slos?: readonly { readonly metric: string; readonly conditions: readonly string[] }[]
}

export const CAPACITY_DEFAULTS = {
  start: 0.1,
  factor: 1.5,
  precision: 0.05,
  maxScale: 10,
  stepDurationMs: 30_000,
  maxDurationMs: 30 * 60_000,
  coolDownMs: 5000,
} as const

/** How long the rest after a step may wait for the embedded stand-in's pool to go idle, ms. */
export const STAND_IN_IDLE_MAX_MS = 120_000

export interface CapacityStarted {
  readonly runId: string
  readonly runDir: string
  readonly target: string
  readonly embedded?: CapacityFile['embedded']
  readonly profile: CapacityFile['profile']
  readonly settings: CapacityFile['settings']
  readonly slos: CapacityFile['slos']
  readonly prediction?: CapacityFile['prediction']
  /** capacity --web: the live page's address, token included */
  readonly web?: string
}

export interface CapacityCommandOptions {
  onStart?(info: CapacityStarted): void
  onStepStart?(step: { readonly index: number; readonly share: number; readonly phase: Phase }): void
  onStep?(step: CapacityStep): void
  /**
   * on the first SIGINT/SIGTERM end the step in progress (its flows finish; it is not judged) and the
   * search with it, writing what was found; on the second cut the flows short (default true)
   */
  readonly handleSignals?: boolean
  /** JIT warm-up before the first step (default true) */
  readonly warmUp?: boolean
}

export interface CapacityOutcome {
  readonly runDir: string
  readonly file: CapacityFile
  readonly files: { readonly json: string; readonly report: string }
  readonly exitCode: 0 | 99
  /** capacity --web: the page stays up with the final report until `lingering` resolves */
  readonly page?: { readonly url: string; readonly lingering: Promise<void>; leave(): void }
}

/** Run settings that make no sense for a capacity search: refused rather than silently ignored. */
function refuseInapplicable(config: RunConfig): void {
  const refused: [boolean, string][] = [
    [config.workers !== undefined, 'workers (several generator processes)'],
    [config.shard !== undefined, 'shard'],
    [config.startAtMs !== undefined, 'startAt'],
    [config.prometheusPort !== undefined, 'prometheusPort'],
    [config.dogstatsd !== undefined, 'dogstatsd'],
    [config.baseline !== undefined, 'baseline'],
    [config.junit !== undefined, 'junit'],
    [config.markdown !== undefined, 'markdown'],
  ]
  for (const [given, what] of refused) {
    if (given) throw new ConfigError(`${what} does not apply to a capacity search: drop it`)
  }
}

const round = (x: number, decimals: number) => Number(x.toFixed(decimals))

export async function runCapacityCommand(
  config: RunConfig,
  flags: CapacityFlags = {},
  options: CapacityCommandOptions = {},
): Promise<CapacityOutcome> {
  refuseInapplicable(config)
  const profile = runProfile(config)
  const endpoints = endpointIds(profile)
  const embedded = config.target === undefined
  const timeScale = embedded ? config.mockTimeScale : 1
  if (embedded && timeScale === 0) throw new ConfigError('--mock-time-scale 0 has no delays: no knee to find')
  // the real profile at 1x (x --scale), and the rates sent at share 1 (time scaling compensated)
  const real = deriveRates(profile, config.scale)
  const scaleAt1x = config.scale / timeScale
  const sentAt1x = deriveRates(profile, scaleAt1x).totalRps
  if (!(real.totalRps > 0)) throw new ConfigError(`the profile "${profile.name}" asks for no requests`)

  const start = flags.start ?? CAPACITY_DEFAULTS.start
  let maxScale = flags.maxScale ?? CAPACITY_DEFAULTS.maxScale
  const settings: SearchSettings = {
    start,
    factor: flags.factor ?? CAPACITY_DEFAULTS.factor,
    precision: flags.precision ?? CAPACITY_DEFAULTS.precision,
    maxShare: maxScale,
    minShare: flags.minScale ?? roundShare(start / 10),
  }
  const problem = settingsProblem(settings)
  if (problem) throw new ConfigError(problem)
  if (!config.noLimits && sentAt1x * maxScale > LIMITS.maxRps) {
    // a typo must not launch a flood: the search stops at the rate cap unless --no-limits
    maxScale = round(Math.floor((LIMITS.maxRps / sentAt1x) * 1000) / 1000, 3)
    if (maxScale < start) {
      throw new ConfigError(
        `--start ${start} asks for ${Math.round(sentAt1x * start)} req/s, over the ${LIMITS.maxRps} req/s cap: lower it or pass --no-limits`,
      )
    }
  }
  const stepMs = flags.stepDurationMs ?? CAPACITY_DEFAULTS.stepDurationMs
  const warmupMs = flags.warmupMs ?? Math.round(stepMs / 5)
  const stepS = Math.ceil(stepMs / 1000)
  const warmupS = Math.ceil(warmupMs / 1000)
  if (stepS < 1) throw new ConfigError('--step-duration must be at least 1s')
  const maxDurationMs = flags.maxDurationMs ?? CAPACITY_DEFAULTS.maxDurationMs
  if (!config.noLimits && maxDurationMs > LIMITS.maxDurationMs) {
    throw new ConfigError(
      `--max-duration ${formatDuration(maxDurationMs)} is over the ${LIMITS.maxDurationMs / 3_600_000} h cap: shorten it or pass --no-limits`,
    )
  }
  if (maxDurationMs < (stepS + warmupS) * 1000) {
    throw new ConfigError(
      `--max-duration ${formatDuration(maxDurationMs)} is shorter than one step (${warmupS + stepS}s with its warm-up)`,
    )
  }
  const written = capacitySlos(
    { thresholds: [...config.thresholds, ...(flags.slos ?? [])], defaultSlos: config.defaultSlos },
    endpoints,
  )
  const judged = timeScaledSlos(written, timeScale)
  const arrival = flags.arrival ?? 'constant'
  const seed = runSeed(config)
  const runId = config.runId ?? makeRunId()
  const runDir = join(config.out, runId)
  if (existsSync(join(runDir, CAPACITY_FILE))) {
    throw new ConfigError(
      `the run folder ${runDir} already holds a capacity search: choose another --run-id or --out`,
    )
  }
  const headers = resolveHeaders(config)
  let ca = readCaFile(config.caFile)
  const finalSettings = { ...settings, maxShare: maxScale }
  const coolDownMs = flags.coolDownMs ?? CAPACITY_DEFAULTS.coolDownMs
  const profileInfo: CapacityFile['profile'] = {
    name: profile.name,
    scale: config.scale,
    timeScale,
    totalRps: round(real.totalRps, 3),
    totalRpm: round(real.totalRpm, 3),
    endpoints: Object.fromEntries(
      real.endpoints.map((e) => [e.endpoint, { rpm: round(e.rpm, 3), rps: round(e.rps, 3) }]),
    ),
  }
  const settingsInfo: CapacityFile['settings'] = {
    start,
    factor: finalSettings.factor,
    precision: finalSettings.precision,
    maxScale,
    minScale: finalSettings.minShare,
    stepDurationS: stepS,
    warmupS,
    maxDurationS: maxDurationMs / 1000,
    arrival,
    coolDown: embedded
      ? `until the stand-in's pool is idle (at most ${STAND_IN_IDLE_MAX_MS / 1000} s)`
      : `a pause of ${formatDuration(coolDownMs)}`,
    seed,
  }
  const slos = sloRecords(written, judged)
  const workers = config.mockWorkers ?? PRESETS[config.mockPreset].workers
  const prediction = embedded ? predictWorkers(profile, PRESETS[config.mockPreset], workers) : undefined
  const predictionInfo: CapacityFile['prediction'] =
    prediction && prediction.busyAt1x > 0
      ? {
          preset: prediction.preset,
          workers,
          busyWorkersAt1x: round(prediction.busyAt1x * config.scale, 1),
          saturationShare: round(prediction.saturationShare / config.scale, 4),
        }
      : undefined
  mkdirSync(runDir, { recursive: true })

  let mock: MockProcess | undefined
  if (embedded) {
    mock = await startMockProcess({
      preset: config.mockPreset,
      timeScale,
      seed,
      ...(config.mockWorkers !== undefined && { workers: config.mockWorkers }),
      ...(config.mockTls && { tls: true }),
    })
  }
  const target = config.target ?? mock!.url
  // the HTTPS stand-in's CA, made at its start: trusted as --ca would be
  if (mock?.caPath !== undefined) ca = readCaFile(mock.caPath)
  const embeddedInfo = embedded ? { preset: config.mockPreset, workers, timeScale } : undefined
  const expectedAt = (share: number) => sentAt1x * share
  let signals: { remove(): void } | undefined
  let result: CapacitySearchResult
  let page: CapacityPage | undefined
  let stopSearch: () => void = () => {}
  try {
    // capacity --web: the live page shows the steps as they are judged (and can stop the search)
    page = config.web
      ? await startCapacityPage(config, { runId, target, endpoints }, () => stopSearch())
      : undefined
    const coolDown: CoolDown = mock
      ? standInCoolDown({ url: mock.url, maxMs: STAND_IN_IDLE_MAX_MS, minMs: 200 })
      : pauseCoolDown(coolDownMs)
    options.onStart?.({
      runId,
      runDir,
      target,
      ...(embeddedInfo && { embedded: embeddedInfo }),
      profile: profileInfo,
      settings: settingsInfo,
      slos,
      ...(predictionInfo && { prediction: predictionInfo }),
      ...(page && { web: page.url }),
    })
    const handle = startCapacitySearch({
      target,
      profile,
      endpoints,
      scaleAt1x,
      settings: finalSettings,
      stepS,
      warmupS,
      maxDurationMs,
      thresholds: judged,
      coolDown,
      arrival,
      seed,
      maxInFlight: config.maxInFlight,
      ...(config.connections !== undefined && { connections: config.connections }),
      connectionPerVisit: connectsPerVisit(config),
      timeoutMs: config.timeoutMs,
      headers,
      ...(ca !== undefined && { ca }),
      insecure: config.insecure,
      data: checkinVisitData(isoDate(Date.now())),
      transport: config.transport,
      clock: config.clock,
      runDir,
      runId,
      config: {
        ...redactConfig({ ...config, seed }),
        arrival,
        // a step's own report (checkin-load report <run>/steps/NN) judges it as the step was judged
        thresholds: judged.map((spec) => ({
          metric: spec.metric,
          conditions: spec.conditions.map((c) => c.text),
          abortOnFail: false,
          delayAbortEvalMs: spec.delayAbortEvalMs,
        })),
        defaultSlos: false,
      },
      profileRecord: profileRecord(profile, deriveRates(profile, scaleAt1x)),
      ...(options.warmUp !== undefined && { warmUp: options.warmUp }),
      onStepStart: (step) => {
        page?.onStepStart(step)
        options.onStepStart?.(step)
      },
      onStep: (step: StepRecord) => {
        const judged = toStep(step, expectedAt(step.share))
        page?.onStep(judged)
        options.onStep?.(judged)
      },
      ...(page && { observeStep: page.observeStep }),
    })
    stopSearch = () => handle.stop()
    signals = options.handleSignals !== false ? installSignals(handle) : undefined
    result = await handle.done
  } catch (error) {
    await page?.close()
    throw error
  } finally {
    signals?.remove()
    await mock?.stop()
  }
  const verdict = buildVerdict(
    result,
    { totalRps: real.totalRps, endpoints: real.endpoints },
    { maxDurationS: maxDurationMs / 1000 },
  )
  const exitCode = verdict.oneXHeld ? 0 : 99
  const file: CapacityFile = {
    schemaVersion: CAPACITY_SCHEMA_VERSION,
    kind: 'capacity',
    runId,
    target,
    ...(embeddedInfo && { embedded: embeddedInfo }),
    startedAt: new Date(result.startedAtMs).toISOString(),
    endedAt: new Date(result.endedAtMs).toISOString(),
    durationS: round((result.endedAtMs - result.startedAtMs) / 1000, 1),
    profile: profileInfo,
    settings: settingsInfo,
    slos,
    ...(predictionInfo && { prediction: predictionInfo }),
    steps: result.steps.map((s) => toStep(s, expectedAt(s.share))),
    verdict,
    exitCode,
  }
  const json = join(runDir, CAPACITY_FILE)
  const report = join(runDir, CAPACITY_REPORT_FILE)
  writeFileSync(json, `${JSON.stringify(file, null, 2)}\n`)
  writeFileSync(report, renderCapacityReport(file))
  const shown = page?.finish(file, report)
  return { runDir, file, files: { json, report }, exitCode, ...(shown && { page: shown }) }
}

function toStep(step: StepRecord, expectedRps: number): CapacityStep {
  return stepRecord(step, expectedRps, `steps/${String(step.index).padStart(2, '0')}/series.ndjson`)
}
