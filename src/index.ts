/**
 * checkin-load as a library: the commands as calls. Options use the keys of a config file as
 * `checkin-load config` prints them (timeoutMs, stages [{ durationMs, target }], ...; `durationMs`
 * holds 1x for that long instead of stages); results are the objects written to summary.json and
 * capacity.json. Nothing is printed, whatever `quiet` says: the library reports through its
 * return values and the optional hooks. It reads no environment variable of its own (a
 * `headersFromEnv` header's value excepted), and installs no signal handler.
 *
 *   import { run, startMock } from 'checkin-load'
 *   const mock = await startMock()
 *   const summary = await run({ target: mock.url, durationMs: 3000, out: '/tmp/results' })
 *   await mock.close()
 */

import type { CapacityFile } from './capacity/result.js'
import type { CapacityFlags } from './commands/capacity.js'
import type { RunProgress } from './commands/run.js'
import { resolveRunConfig } from './config/load.js'
import type { RunConfig, RunConfigInput } from './config/schema.js'
import type { PresetName } from './model/downstream.js'
import type { Summary } from './model/results.js'
import type { DerivedProfile } from './profile/types.js'
import type { SecondListener } from './session/index.js'

export type { CapacityFile } from './capacity/result.js'
export type { CapacityFlags } from './commands/capacity.js'
export type { LiveEndpoint, RunProgress } from './commands/run.js'
export type { RunConfig, RunConfigInput } from './config/schema.js'
export type { PresetName } from './model/downstream.js'
export type { EndReason, SeriesSecond, Summary, ThresholdResult } from './model/results.js'
export type { DerivedProfile } from './profile/types.js'
export type { SecondListener, SessionSecond } from './session/index.js'

/** A run's settings: config-file keys; every one optional (the defaults of `checkin-load config`). */
export type RunSettings = Partial<RunConfigInput> & {
  /** hold 1x for this long, ms (instead of stages) */
  readonly durationMs?: number
}

export interface RunCallOptions extends RunSettings {
  /** once a second: the live view's snapshot */
  readonly onProgress?: (progress: RunProgress) => void
  /** once a second: the folded second, with the summary so far */
  readonly onSecond?: SecondListener
  /** a problem that does not stop the run (an exporter failing) */
  readonly onWarning?: (message: string) => void
}

/**
 * Runs the profile (against `target`, or the embedded stand-in) and resolves to the summary as
 * written to <out>/<runId>/summary.json. A failed threshold does not reject: see `passed`.
 * Rejects on bad settings (a CheckinLoadError with a one-line message) or when nothing could be written.
 */
export async function run(options: RunCallOptions = {}): Promise<Summary> {
  const { onProgress, onSecond, onWarning, ...settings } = options
  const config = configOf(settings)
  const { runCommand } = await import('./commands/run.js')
  const outcome = await runCommand(config, {
    handleSignals: false,
    ...(onProgress !== undefined && { onProgress }),
    ...(onSecond !== undefined && { onSecond }),
    ...(onWarning !== undefined && { onWarning }),
  })
  return outcome.summary
}

/** A capacity search's settings: the run's keys and the search's own. */
export interface CapacityCallOptions extends RunSettings, Omit<CapacityFlags, 'arrival'> {}

const SEARCH_KEYS = [
  'start',
  'factor',
  'precision',
  'maxScale',
  'minScale',
  'stepDurationMs',
  'warmupMs',
  'maxDurationMs',
  'coolDownMs',
  'slos',
] as const satisfies readonly (keyof CapacityFlags)[]

/** Searches the capacity of the target (or the embedded stand-in); resolves to capacity.json's object. */
export async function capacity(options: CapacityCallOptions = {}): Promise<CapacityFile> {
  const flags: Record<string, unknown> = {}
  const settings: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(options)) {
    if ((SEARCH_KEYS as readonly string[]).includes(key)) flags[key] = value
    else settings[key] = value
  }
  const config = configOf(settings as RunSettings)
  // the search's arrivals default to constant; a given `arrival` is passed on, as the flag is
  const search: CapacityFlags = {
    ...(flags as CapacityFlags),
    ...(options.arrival !== undefined && { arrival: config.arrival }),
  }
  const { runCapacityCommand } = await import('./commands/capacity.js')
  const outcome = await runCapacityCommand(config, search, { handleSignals: false })
  return outcome.file
}

export interface MockCallOptions {
  /** downstream latency preset (default fast) */
  readonly preset?: PresetName
  /** multiplies every downstream delay */
  readonly timeScale?: number
  /** share of requests answered with an injected fault */
  readonly errorRate?: number
  readonly seed?: number
  /** worker processes of the stand-in */
  readonly workers?: number
  /** default 0: a free port */
  readonly port?: number
  /** default 127.0.0.1 */
  readonly host?: string
}

export interface RunningMock {
  /** base URL, e.g. http://127.0.0.1:43121 */
  readonly url: string
  /** stops the stand-in (requests in flight finish first) */
  close(): Promise<void>
}

/** Starts the stand-in vets-api in a process of its own (as `checkin-load run` does without a target). */
export async function startMock(options: MockCallOptions = {}): Promise<RunningMock> {
  const { startMockProcess } = await import('./mock/process.js')
  const mock = await startMockProcess(options)
  return { url: mock.url, close: () => mock.stop() }
}

export interface ProfileCallOptions {
  /** built-in profile name or a YAML/JSON profile file (default the check-in profile) */
  readonly profile?: string
  readonly checkInsPerHour?: number
  readonly preCheckInsPerHour?: number
  readonly withDemographics?: boolean
  /** multiplies every rate (default 1) */
  readonly scale?: number
}

/** The load a profile asks for: per flow and per endpoint, per minute and per second. */
export async function profile(options: ProfileCallOptions = {}): Promise<DerivedProfile> {
  const config = configOf(options)
  const { deriveRates, resolveProfile } = await import('./profile/index.js')
  const resolved = resolveProfile(config.profile, {
    checkInsPerHour: config.checkInsPerHour,
    preCheckInsPerHour: config.preCheckInsPerHour,
    withDemographics: config.withDemographics,
  })
  return deriveRates(resolved, config.scale)
}

/** The summary of a finished run: its folder (or its summary.json). */
export async function readRun(dir: string): Promise<Summary> {
  const { readSummaryFile } = await import('./report/index.js')
  return readSummaryFile(dir)
}

/** Settings -> the validated config, as a config file's would be (defaults filled, limits checked). */
function configOf(settings: RunSettings): RunConfig {
  return resolveRunConfig({ flags: settings })
}
