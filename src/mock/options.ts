import { checkNumber } from '../config/parse.js'
import { ConfigError } from '../errors.js'
import { type MockPreset, PRESET_NAMES, PRESETS, type PresetName } from '../model/downstream.js'
import { DEFAULT_WEB_ORIGINS } from './cors.js'
import { FAULT_STATUSES, type FaultStatus } from './downstream.js'
import type { LogSink } from './log.js'

/** Options of the stand-in (`checkin-load mock` flags, and the library's `buildMockApp`). */
export interface MockOptions {
  /** downstream delays and default pool size (default `fast`); a name or a preset object */
  readonly preset?: PresetName | MockPreset
  /** size of the worker pool (default: the preset's) */
  readonly workers?: number
  /** most requests waiting for a worker; beyond it, 503 (default: unbounded) */
  readonly backlogCap?: number
  /** multiplies every downstream delay (default 1; 0 = no delays) */
  readonly timeScale?: number
  /** probability that each downstream call fails (default 0) */
  readonly errorRate?: number
  /** what a failing call answers, drawn uniformly (default 404, 500 and 504) */
  readonly faultStatuses?: readonly FaultStatus[]
  /** seed of delays, faults and generated bodies (default 1) */
  readonly seed?: number
  /** no error log at all (tests, benchmarks) */
  readonly quiet?: boolean
  /** where error lines go (default stderr) */
  readonly logger?: LogSink
  /** largest request body, bytes (default 64 KiB); larger ones get 413 */
  readonly bodyLimit?: number
  /** most per-uuid entries kept; the oldest is evicted beyond it (default 100,000) */
  readonly maxPatients?: number
  /** wall clock in ms, for TTLs (default Date.now) */
  readonly now?: () => number
  /** date of the generated appointments, YYYY-MM-DD (default: today, UTC, at start) */
  readonly today?: string
  /** TTL overrides, ms (tests): session entry 12 h, retry counter 7 days, CHIP token 14 min */
  readonly sessionTtlMs?: number
  readonly retryTtlMs?: number
  readonly chipTokenTtlMs?: number
  /** origins Rack::Cors allows (vets-api's Settings.web_origin; default va.gov's and localhost:3001) */
  readonly webOrigins?: readonly string[]
}

export interface ResolvedMockOptions {
  readonly preset: MockPreset
  readonly workers: number
  readonly backlogCap: number
  readonly timeScale: number
  readonly errorRate: number
  readonly faultStatuses: readonly FaultStatus[]
  readonly seed: number
  readonly logger: LogSink | undefined
  readonly bodyLimit: number
  readonly maxPatients: number
  readonly now: () => number
  readonly today: string
  readonly sessionTtlMs: number | undefined
  readonly retryTtlMs: number | undefined
  readonly chipTokenTtlMs: number | undefined
  readonly webOrigins: readonly string[]
}

export const DEFAULT_BODY_LIMIT = 64 * 1024

/** Checks and defaults the options once; a bad value is a ConfigError (exit 2 from the CLI). */
export function resolveMockOptions(opts: MockOptions, defaultLogger?: LogSink): ResolvedMockOptions {
  const preset = typeof opts.preset === 'object' ? opts.preset : presetByName(opts.preset ?? 'fast')
  const workers = checkNumber(opts.workers ?? preset.workers, '--workers', { min: 1, integer: true })
  const backlogCap =
    opts.backlogCap === undefined
      ? Number.POSITIVE_INFINITY
      : checkNumber(opts.backlogCap, '--backlog-cap', { min: 0, integer: true })
  const timeScale = checkNumber(opts.timeScale ?? 1, '--time-scale', { min: 0 })
  const errorRate = checkNumber(opts.errorRate ?? 0, '--error-rate', { min: 0, max: 1 })
  const seed = checkNumber(opts.seed ?? 1, '--seed', { integer: true })
  const faultStatuses = opts.faultStatuses ?? FAULT_STATUSES
  for (const status of faultStatuses) {
    if (!(FAULT_STATUSES as readonly number[]).includes(status)) {
      throw new ConfigError(`fault status must be one of ${FAULT_STATUSES.join(', ')}, got ${status}`)
    }
  }
  const today = opts.today ?? new Date().toISOString().slice(0, 10)
  if (!/^\d{4}-\d{2}-\d{2}$/.test(today)) throw new ConfigError(`today must be YYYY-MM-DD, got "${today}"`)
  return {
    preset,
    workers,
    backlogCap,
    timeScale,
    errorRate,
    faultStatuses,
    seed,
    logger: opts.quiet ? undefined : (opts.logger ?? defaultLogger),
    bodyLimit: checkNumber(opts.bodyLimit ?? DEFAULT_BODY_LIMIT, 'body limit', { min: 1, integer: true }),
    maxPatients: checkNumber(opts.maxPatients ?? 100_000, 'max patients', { min: 1, integer: true }),
    now: opts.now ?? Date.now,
    today,
    sessionTtlMs: opts.sessionTtlMs,
    retryTtlMs: opts.retryTtlMs,
    chipTokenTtlMs: opts.chipTokenTtlMs,
    webOrigins: (opts.webOrigins ?? DEFAULT_WEB_ORIGINS).map(checkOrigin),
  }
}

/** An origin as a browser sends it: scheme://host[:port], nothing after (Rack::Cors compares strings). */
export function checkOrigin(origin: string): string {
  let url: URL | undefined
  try {
    url = new URL(origin)
  } catch {
    url = undefined
  }
  if (url === undefined || !/^https?:$/.test(url.protocol) || url.origin !== origin) {
    throw new ConfigError(
      `--web-origin: "${origin}" is not an origin as a browser sends it (scheme://host[:port], e.g. https://www.va.gov)`,
    )
  }
  return origin
}

export function presetByName(name: string): MockPreset {
  if (!(PRESET_NAMES as readonly string[]).includes(name)) {
    throw new ConfigError(`unknown preset "${name}": use one of ${PRESET_NAMES.join(', ')}`)
  }
  return PRESETS[name as PresetName]
}
