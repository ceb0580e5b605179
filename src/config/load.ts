import { z } from 'zod'
import { ConfigError } from '../errors.js'
import { deriveRates, endpointIds, readDataFile, resolveProfile } from '../profile/index.js'
import { describeConfigError, nearestKey, normalizeKeys } from './file-keys.js'
import { checkTarget } from './guard.js'
import { checkHeader, parseDuration, parseStages, type Stage } from './parse.js'
import {
  DEFAULT_STAGES_TEXT,
  LIMITS,
  type RunConfig,
  type RunConfigInput,
  runConfigSchema,
} from './schema.js'
import { type ThresholdSpec, thresholdSpecs } from './thresholds.js'

/**
 * Builds the one RunConfig of a run: defaults <- config file <- flags. Flags and config files
 * speak the same language (the RunConfig keys), except that text forms are accepted where users
 * type them: durations ("90s"), stages ("1m:0.1,5m:1"), thresholds in k6's object form.
 */
export interface RunConfigSources {
  /** values given on the command line only (not commander's defaults), keyed by RunConfig key */
  readonly flags?: Readonly<Partial<RunConfigInput>> & { readonly durationMs?: number }
  /** path of a YAML/JSON config file */
  readonly configFile?: string
  /** defaults under the config file (the environment's CHECKIN_LOAD_TRANSPORT/CLOCK, read by cli/) */
  readonly defaults?: Readonly<Partial<RunConfigInput>>
}

const durationText = z.union([z.string(), z.number()])

/** k6's form: { "http_req_duration{endpoint:post_session}": ["p(95)<500", { threshold, abortOnFail }] } */
const k6Thresholds = z.record(
  z.string(),
  z.array(
    z.union([
      z.string(),
      z.strictObject({
        threshold: z.string(),
        abortOnFail: z.boolean().optional(),
        delayAbortEval: durationText.optional(),
      }),
    ]),
  ),
)

/** Keys a config file may hold on top of RunConfig's: text forms of durations and stages. */
const fileSchema = z.looseObject({
  duration: durationText.optional(),
  stages: z
    .union([
      z.string(),
      // each stage in the text form users write, or in RunConfig's form as `config` prints it
      z.array(
        z.union([
          z.strictObject({ duration: durationText, target: z.number() }),
          z.strictObject({ durationMs: z.number(), target: z.number() }),
        ]),
      ),
    ])
    .optional(),
  timeout: durationText.optional(),
  prometheusLinger: durationText.optional(),
  startAt: z.string().optional(),
  /** k6's object form, or RunConfig's list of entries as `checkin-load config` prints it */
  thresholds: z.union([k6Thresholds, runConfigSchema.shape.thresholds]).optional(),
})

/** Every key a config file may hold: RunConfig's and the text forms above. */
export const CONFIG_FILE_KEYS: readonly string[] = [
  ...new Set([...Object.keys(runConfigSchema.shape), ...Object.keys(fileSchema.shape)]),
]

/** The value `checkin-load config` shows for a header instead of its (maybe secret) value. */
export const REDACTED = '<redacted>'

const asMs = (value: string | number, what: string) =>
  typeof value === 'number' ? Math.round(value * 1000) : parseDuration(value, what)

/** Turns the text forms of a config file into RunConfig input keys. */
export function normalizeConfigFile(
  data: unknown,
  path: string,
): Partial<RunConfigInput> & { durationMs?: number } {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigError(
      `config file "${path}" must hold an object of settings (keys like target, scale, stages)`,
    )
  }
  const source = `config file "${path}"`
  const parsed = fileSchema.safeParse(
    normalizeKeys(data as Record<string, unknown>, CONFIG_FILE_KEYS, source),
  )
  if (!parsed.success) throw new ConfigError(describeConfigError(parsed.error, source))
  const { duration, stages, timeout, prometheusLinger, startAt, thresholds, ...rest } = parsed.data
  const out: Record<string, unknown> = { ...rest }
  if (duration !== undefined) out.durationMs = asMs(duration, `duration in ${path}`)
  if (typeof stages === 'string') out.stages = parseStages(stages)
  else if (stages)
    out.stages = stages.map((s) =>
      'durationMs' in s ? s : { durationMs: asMs(s.duration, `stage duration in ${path}`), target: s.target },
    )
  if (timeout !== undefined) out.timeoutMs = asMs(timeout, `timeout in ${path}`)
  if (prometheusLinger !== undefined)
    out.prometheusLingerMs = asMs(prometheusLinger, `prometheusLinger in ${path}`)
  if (startAt !== undefined) out.startAtMs = parseStartAt(startAt)
  if (Array.isArray(thresholds)) out.thresholds = thresholds
  else if (thresholds) out.thresholds = thresholdEntriesOf(thresholds, path)
  for (const [name, value] of Object.entries(rest.headers ?? {})) {
    if (value === REDACTED) {
      throw new ConfigError(
        `${source}: headers.${name} is "${REDACTED}" (as \`checkin-load config\` shows secrets): give its value, or name an environment variable under headersFromEnv`,
      )
    }
  }
  return out as Partial<RunConfigInput> & { durationMs?: number }
}

/**
 * k6's object form -> RunConfig entries, one entry per abort setting: in k6 only the condition
 * that carries abortOnFail can stop the run, so the plain conditions of a metric share one entry
 * (abortOnFail false) and each aborting condition gets its own, with its own delayAbortEval.
 */
function thresholdEntriesOf(
  thresholds: z.infer<typeof k6Thresholds>,
  path: string,
): { metric: string; conditions: string[]; abortOnFail: boolean; delayAbortEvalMs?: number }[] {
  return Object.entries(thresholds).flatMap(([metric, items]) => {
    const plain = items.flatMap((item) =>
      typeof item === 'string' ? [item] : item.abortOnFail ? [] : [item.threshold],
    )
    const aborting = items.flatMap((item) =>
      typeof item !== 'string' && item.abortOnFail
        ? [
            {
              metric,
              conditions: [item.threshold],
              abortOnFail: true,
              ...(item.delayAbortEval !== undefined && {
                delayAbortEvalMs: asMs(item.delayAbortEval, `delayAbortEval of ${metric} in ${path}`),
              }),
            },
          ]
        : [],
    )
    return [...(plain.length > 0 ? [{ metric, conditions: plain, abortOnFail: false }] : []), ...aborting]
  })
}

/** ISO-8601 wall-clock time -> epoch ms. */
export function parseStartAt(text: string): number {
  const ms = Date.parse(text)
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(ms)) {
    throw new ConfigError(`invalid start time "${text}": use ISO-8601 UTC, like 2026-11-27T10:00:00Z`)
  }
  return ms
}

function mergeStages(
  layer: Partial<RunConfigInput> & { durationMs?: number },
  where: string,
): { stages?: Stage[]; startShare?: number } {
  if (layer.stages !== undefined && layer.durationMs !== undefined) {
    throw new ConfigError(
      `${where} gives both stages and a duration: give one (a duration holds 1x for that long)`,
    )
  }
  if (layer.durationMs !== undefined) {
    if (layer.durationMs <= 0) throw new ConfigError(`${where}: the duration must be more than 0`)
    // a duration holds 1x from the first second (stages alone ramp up from startShare)
    return { stages: [{ durationMs: layer.durationMs, target: 1 }], startShare: 1 }
  }
  // stages replace an earlier layer's duration: they ramp from their own start share (0 unless set)
  return layer.stages !== undefined ? { stages: [...layer.stages], startShare: layer.startShare ?? 0 } : {}
}

export function resolveRunConfig(sources: RunConfigSources = {}): RunConfig {
  const file = sources.configFile
    ? normalizeConfigFile(readDataFile(sources.configFile, 'config file'), sources.configFile)
    : {}
  const flags = sources.flags ?? {}
  const { durationMs: _fileDuration, ...fileRest } = file
  const { durationMs: _flagDuration, ...flagRest } = flags
  const merged = {
    stages: parseStages(DEFAULT_STAGES_TEXT),
    ...sources.defaults,
    ...fileRest,
    ...mergeStages(file, `config file "${sources.configFile}"`),
    ...flagRest,
    ...mergeStages(flags, 'the command line'),
    headers: { ...(fileRest.headers ?? {}), ...(flagRest.headers ?? {}) },
    headersFromEnv: { ...(fileRest.headersFromEnv ?? {}), ...(flagRest.headersFromEnv ?? {}) },
  }
  const parsed = runConfigSchema.safeParse(merged)
  if (!parsed.success) {
    throw new ConfigError(
      describeConfigError(
        parsed.error,
        sources.configFile ? `config (file "${sources.configFile}" and flags)` : 'config',
      ),
    )
  }
  const config = parsed.data
  // refuse a bad threshold now, before any load is sent
  checkThresholdEndpoints(thresholdSpecs(config.thresholds, 'threshold'), config)
  if (config.target !== undefined) checkTarget(config.target, config.allowProduction)
  for (const [name, value] of Object.entries(config.headers)) checkHeader(name, value)
  for (const [header, variable] of Object.entries(config.headersFromEnv)) {
    const value = process.env[variable]
    if (value === undefined) {
      throw new ConfigError(
        `header "${header}" is to come from environment variable ${variable}, which is not set`,
      )
    }
    checkHeader(header, value)
  }
  checkLimits(config)
  return Object.freeze(config)
}

/** A threshold on an endpoint the run does not send to would only fail after the load, as "no data". */
function checkThresholdEndpoints(specs: readonly ThresholdSpec[], config: RunConfig): void {
  if (specs.every((s) => s.endpoint === undefined)) return
  const known = endpointIds(resolveProfile(config.profile, config))
  for (const spec of specs) {
    if (spec.endpoint === undefined || known.includes(spec.endpoint)) continue
    const near = nearestKey(spec.endpoint, known)
    const demographics =
      spec.endpoint === 'patch_demographics'
        ? ' (it is sent with withDemographics / --with-demographics)'
        : ''
    throw new ConfigError(
      `threshold "${spec.metric}" names endpoint "${spec.endpoint}", which this run does not send${demographics}: ${near ? `did you mean ${near}? ` : ''}known: ${known.join(', ')}`,
    )
  }
}

/** Hard caps on rate and duration (LIMITS): a typo must not launch a flood. --no-limits lifts them. */
function checkLimits(config: RunConfig): void {
  if (config.noLimits) return
  const durationMs = config.stages.reduce((sum, s) => sum + s.durationMs, 0)
  if (durationMs > LIMITS.maxDurationMs) {
    throw new ConfigError(
      `the run would last ${Math.round(durationMs / 60_000)} minutes, over the ${LIMITS.maxDurationMs / 3_600_000} h cap: shorten it or pass --no-limits`,
    )
  }
  const profile = resolveProfile(config.profile, config)
  const peakShare = Math.max(...config.stages.map((s) => s.target))
  const peakRps = deriveRates(profile, config.scale).totalRps * peakShare
  if (peakRps > LIMITS.maxRps) {
    throw new ConfigError(
      `the run would ask for ${Math.round(peakRps)} req/s at its peak, over the ${LIMITS.maxRps} req/s cap: lower --scale or pass --no-limits`,
    )
  }
}
