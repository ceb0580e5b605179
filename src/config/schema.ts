import { z } from 'zod'
import { PRESET_NAMES } from '../model/downstream.js'
import { BUILTIN_PROFILE_NAME, DEFAULT_ESTIMATES } from '../profile/builtin.js'

/**
 * The one validated configuration of a run: defaults <- config file <- flags (DESIGN.md §7).
 * Config files use these keys; durations may be written as text ("90s", "5m") in files and flags
 * and are held here in milliseconds. The engine trusts a RunConfig: it is checked once, here.
 */
export const ARRIVAL_PROCESSES = ['poisson', 'constant'] as const
/** the engine's HTTP/1.1 clients: its own over raw sockets, or undici (src/engine/) */
export const TRANSPORT_KINDS = ['raw', 'undici'] as const
/** how the engine's clock loop wakes for an arrival due within 2 ms: Node's timers or a worker thread */
export const CLOCK_KINDS = ['timer', 'precise'] as const

export const TRAFFIC_KINDS = ['browser', 'api'] as const

/** Hard caps that need --no-limits to exceed (a typo must not launch a flood). */
export const LIMITS = { maxRps: 20_000, maxDurationMs: 4 * 3_600_000 } as const

const stageSchema = z.strictObject({
  durationMs: z.number().int().positive(),
  target: z.number().nonnegative(),
})

const thresholdSchema = z.strictObject({
  /** k6 syntax: metric{tag:value} */
  metric: z.string().min(1),
  /** conditions on the metric, e.g. ["p(95)<500", "p(99)<1500"] */
  conditions: z.array(z.string().min(1)).nonempty(),
  /** stop the run when this threshold fails (after delayAbortEvalMs) */
  abortOnFail: z.boolean().default(false),
  delayAbortEvalMs: z.number().int().nonnegative().default(10_000),
})
export type ThresholdConfig = z.infer<typeof thresholdSchema>

export const runConfigSchema = z.strictObject({
  /** base URL of the target; absent: start the embedded stand-in on a free loopback port */
  target: z.string().optional(),
  /** built-in profile name or a YAML/JSON profile file */
  profile: z.string().default(BUILTIN_PROFILE_NAME),
  checkInsPerHour: z.number().nonnegative().default(DEFAULT_ESTIMATES.checkInsPerHour),
  preCheckInsPerHour: z.number().nonnegative().default(DEFAULT_ESTIMATES.preCheckInsPerHour),
  withDemographics: z.boolean().default(false),
  /** `browser`: what the check-in web app sends (headers, CORS preflights); `api`: bare API calls */
  traffic: z.enum(TRAFFIC_KINDS).default('browser'),
  /** browser traffic's Origin; default from the target (src/checkin/browser.ts defaultOrigin) */
  origin: z.string().optional(),
  /** the table as per-endpoint scripts send it: every request a visit of its own, no session */
  perEndpoint: z.boolean().default(false),
  /** multiplies every rate of the profile */
  scale: z.number().positive().default(1),
  /** stages of the run; the share of the profile moves linearly between their targets */
  stages: z.array(stageSchema).nonempty(),
  /** share of the profile before the first stage: 0 ramps up from nothing (k6), 1 with --duration holds 1x */
  startShare: z.number().nonnegative().default(0),
  arrival: z.enum(ARRIVAL_PROCESSES).default('poisson'),
  /** the HTTP client (--transport; CHECKIN_LOAD_TRANSPORT when neither flag nor file sets it) */
  transport: z.enum(TRANSPORT_KINDS).default('raw'),
  /** the clock loop's wake-ups (--clock; CHECKIN_LOAD_CLOCK when neither flag nor file sets it) */
  clock: z.enum(CLOCK_KINDS).default('timer'),
  /** most flows in flight at once; an arrival that finds it full is dropped and counted */
  maxInFlight: z.number().int().positive().default(10_000),
  /** per-request timeout (connect, headers and body), ms */
  timeoutMs: z.number().int().positive().default(30_000),
  /** TCP connections to the target; default: as many as needed up to maxInFlight */
  connections: z.number().int().positive().optional(),
  /** extra headers on every request (names lower-case); values are redacted in results */
  headers: z.record(z.string(), z.string()).default({}),
  /** headers whose value is read from an environment variable: header name -> variable name */
  headersFromEnv: z.record(z.string(), z.string()).default({}),
  /** accept any TLS certificate */
  insecure: z.boolean().default(false),
  /** PEM file of a CA to trust for the target */
  caFile: z.string().optional(),
  thresholds: z.array(thresholdSchema).default([]),
  /** evaluate the built-in SLO set of the check-in profile in addition to `thresholds` */
  defaultSlos: z.boolean().default(true),
  /** folder under which the run folder results/<run-id> is written */
  out: z.string().default('results'),
  /** run id (the run folder's name); default: time + random suffix */
  runId: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/)
    .optional(),
  prometheusPort: z.number().int().min(0).max(65_535).optional(),
  prometheusHost: z.string().default('127.0.0.1'),
  /** keep the Prometheus endpoint up this long after the run, so the last scrape sees the end */
  prometheusLingerMs: z.number().int().nonnegative().default(5_000),
  /** serve the live page (src/web): watch the run and steer its scale from a browser */
  web: z.boolean().default(false),
  webPort: z.number().int().min(0).max(65_535).default(5665),
  /** loopback unless said otherwise: the page steers the load (its token guards it too) */
  webHost: z.string().default('127.0.0.1'),
  /** keep the page up this long after the run, with the final report */
  webLingerMs: z.number().int().nonnegative().default(10_000),
  /** host:port of a DogStatsD agent */
  dogstatsd: z.string().optional(),
  /** global tags for DogStatsD/Prometheus, "key:value" */
  tags: z.array(z.string()).default([]),
  /** worker processes, each one shard of the arrivals */
  workers: z.number().int().positive().optional(),
  shard: z
    .strictObject({ index: z.number().int().nonnegative(), count: z.number().int().positive() })
    .optional(),
  /** wall-clock start (epoch ms), shared by shards */
  startAtMs: z.number().int().optional(),
  seed: z.number().int().optional(),
  allowProduction: z.boolean().default(false),
  /** allow rates and durations over LIMITS */
  noLimits: z.boolean().default(false),
  quiet: z.boolean().default(false),
  /** the embedded stand-in (no target) */
  mockPreset: z.enum(PRESET_NAMES).default('fast'),
  mockTimeScale: z.number().positive().default(1),
  mockWorkers: z.number().int().positive().optional(),
  /** the embedded stand-in serves HTTPS (a certificate made at start, its CA trusted by the run) */
  mockTls: z.boolean().default(false),
  /** baseline run folder to compare against in the report */
  baseline: z.string().optional(),
  junit: z.string().optional(),
  markdown: z.string().optional(),
})

export type RunConfig = Readonly<z.infer<typeof runConfigSchema>>
export type RunConfigInput = z.input<typeof runConfigSchema>

/** Default stages: a short ramp from a low share to 1x, then a hold (about a minute). */
export const DEFAULT_STAGES_TEXT = '10s:0.2,10s:1,40s:1'
