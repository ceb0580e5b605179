import { z } from 'zod'
import { ERROR_KINDS } from './error-kinds.js'

/**
 * The result files of a run (DESIGN.md §4). Both are public interfaces: users script against
 * summary.json, and `report`, `compare` and `merge` read them back. Declared once here as zod
 * schemas; the TypeScript types are inferred from them.
 *
 * results/<run-id>/
 *   series.ndjson  one JSON object a line: a `header` line first, then one `second` line per
 *                  second of the run (appended and flushed as it goes), then an `end` line when
 *                  the run ended cleanly; a `control` line wherever the user steered the load
 *                  (run --web). A run killed by SIGKILL lacks the `end` line and may end
 *                  in a torn line: readers ignore a last line that does not parse.
 *   summary.json   written at the end, or rebuilt from series.ndjson by `checkin-load report`.
 *   report.html    self-contained HTML report.
 */
export const SCHEMA_VERSION = 1

const errorCounts = z.partialRecord(z.enum(ERROR_KINDS), z.number().int().nonnegative())
/** Counts by HTTP status code, keyed by the code as a string ("200", "503"). */
const statusCounts = z.record(z.string(), z.number().int().nonnegative())

const minMax = z.tuple([z.number().nonnegative(), z.number().nonnegative()])

export const latencyStatsSchema = z.object({
  min: z.number(),
  p50: z.number(),
  p90: z.number(),
  p95: z.number(),
  p99: z.number(),
  max: z.number(),
  mean: z.number(),
})

/** One endpoint's counts and histograms over one second (or any interval). */
export const intervalStatsSchema = z.object({
  /** requests the schedule intended to send in this interval (sent + dropped) */
  asked: z.number().int().nonnegative(),
  /** requests that completed (answered or failed) in this interval: ok + all errors */
  requests: z.number().int().nonnegative(),
  ok: z.number().int().nonnegative(),
  /** requests never sent because the in-flight cap was full when their flow arrived */
  dropped: z.number().int().nonnegative(),
  errors: errorCounts,
  status: statusCounts,
  /** encoded HDR histograms (µs): latency from the intended send time, from the actual send, send lag */
  latency: z.string(),
  latencyFromSend: z.string(),
  sendLag: z.string(),
  /**
   * the exact lowest and highest value recorded in each non-empty histogram above, [min, max] µs:
   * a decoded histogram only knows the bucket of its extremes (absent in series of before 2026-12)
   */
  minMaxUs: z
    .object({
      latency: minMax.optional(),
      latencyFromSend: minMax.optional(),
      sendLag: minMax.optional(),
    })
    .optional(),
})
export type IntervalStats = z.infer<typeof intervalStatsSchema>

export const generatorHealthSchema = z.object({
  /** event-loop lag p99 over the interval, ms */
  eventLoopLagMsP99: z.number().nonnegative(),
  /** CPU used by the generator process over the interval, % of one core */
  cpuPct: z.number().nonnegative(),
  rssMb: z.number().nonnegative(),
  /** flows in flight at the end of the interval */
  inFlight: z.number().int().nonnegative(),
  /** the generator's own lateness: send lag p99 of the interval, worst endpoint, ms */
  sendLagMsP99: z.number().nonnegative().optional(),
  /** requests that waited for a connection of the shared pool (the pool full), when any did */
  waitedForConnection: z.number().int().nonnegative().optional(),
  /** their wait for a connection, p99 over the interval, ms (not in the send lag) */
  connectionWaitMsP99: z.number().nonnegative().optional(),
})
export type GeneratorHealth = z.infer<typeof generatorHealthSchema>

export const shardSchema = z.object({
  index: z.number().int().nonnegative(),
  count: z.number().int().positive(),
})
export type Shard = z.infer<typeof shardSchema>

export const seriesHeaderSchema = z.object({
  type: z.literal('header'),
  schemaVersion: z.literal(SCHEMA_VERSION),
  runId: z.string(),
  target: z.string(),
  startedAt: z.string(),
  /** epoch ms of the run's time zero; second lines count from it */
  startedAtMs: z.number(),
  shard: shardSchema.optional(),
  /** the shards a merged series was made of (`checkin-load merge`); absent otherwise */
  shards: z.array(shardSchema).optional(),
  /** the validated RunConfig, secrets redacted */
  config: z.record(z.string(), z.unknown()),
  /** the derived per-endpoint rates at 1x scale x --scale (rpm), for the report */
  profile: z.record(z.string(), z.unknown()),
  /** endpoint ids in the order of the profile */
  endpoints: z.array(z.string()),
})
export type SeriesHeader = z.infer<typeof seriesHeaderSchema>

export const seriesSecondSchema = z.object({
  type: z.literal('second'),
  /** whole seconds since startedAtMs: this line covers [t, t+1) */
  t: z.number().int().nonnegative(),
  /** share of the profile asked at the end of this second (after --scale) */
  share: z.number().nonnegative(),
  endpoints: z.record(z.string(), intervalStatsSchema),
  generator: generatorHealthSchema,
})
export type SeriesSecond = z.infer<typeof seriesSecondSchema>

export const END_REASONS = [
  'completed',
  'interrupted',
  'aborted_by_threshold',
  'write_failed',
  'error',
] as const
export type EndReason = (typeof END_REASONS)[number]

export const seriesEndSchema = z.object({
  type: z.literal('end'),
  endedAt: z.string(),
  reason: z.enum(END_REASONS),
  /** flows still in flight when the graceful-end wait ran out (counted as timeouts) */
  abandonedInFlight: z.number().int().nonnegative(),
})
export type SeriesEnd = z.infer<typeof seriesEndSchema>

/** Who steered the load: the live page, or a script calling POST /api/control. */
export const CONTROL_SOURCES = ['web', 'api'] as const
export type ControlSource = (typeof CONTROL_SOURCES)[number]
export const CONTROL_ACTIONS = ['scale', 'pause', 'resume', 'stop'] as const
export type ControlAction = (typeof CONTROL_ACTIONS)[number]

/**
 * A change the user made to a running load (run --web, POST /api/control). The user scale
 * multiplies the stages' share from `atMs` on (docs/web.md): `from` and `to` are the user scale
 * before and after (a pause goes to 0, a resume back; a stop keeps it).
 */
export const seriesControlSchema = z.object({
  type: z.literal('control'),
  /** ms since the run's time zero (startedAtMs) */
  atMs: z.number().nonnegative(),
  who: z.enum(CONTROL_SOURCES),
  action: z.enum(CONTROL_ACTIONS),
  from: z.number().nonnegative(),
  to: z.number().nonnegative(),
})
export type SeriesControl = z.infer<typeof seriesControlSchema>

export const seriesLineSchema = z.discriminatedUnion('type', [
  seriesHeaderSchema,
  seriesSecondSchema,
  seriesEndSchema,
  seriesControlSchema,
])
export type SeriesLine = z.infer<typeof seriesLineSchema>

/** One endpoint (or the total) over the whole run, as in summary.json. */
export const endpointSummarySchema = z.object({
  requests: z.number().int().nonnegative(),
  ok: z.number().int().nonnegative(),
  dropped: z.number().int().nonnegative(),
  errors: errorCounts,
  status: statusCounts,
  /** rate the profile asked for, averaged over the load window (loadS; req/s), including dropped */
  expectedRps: z.number().nonnegative(),
  /** completed requests (the drain's included) per second of the load window (loadS) */
  achievedRps: z.number().nonnegative(),
  latencyMs: latencyStatsSchema,
  latencyFromSendMs: latencyStatsSchema,
  sendLagMs: latencyStatsSchema,
  /** encoded HDR histogram (µs) of latency from the intended time: mergeable */
  histogram: z.string(),
  histogramFromSend: z.string(),
  histogramSendLag: z.string(),
})
export type EndpointSummary = z.infer<typeof endpointSummarySchema>

export const thresholdResultSchema = z.object({
  /** the metric with its tags, e.g. http_req_duration{endpoint:post_session} */
  metric: z.string(),
  /** the condition, e.g. p(95)<500 */
  expr: z.string(),
  /** the measured value the condition was checked against (ms for durations) */
  value: z.number().nullable(),
  ok: z.boolean(),
  abortOnFail: z.boolean().optional(),
})
export type ThresholdResult = z.infer<typeof thresholdResultSchema>

export const summarySchema = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  runId: z.string(),
  target: z.string(),
  startedAt: z.string(),
  endedAt: z.string(),
  /** the run's length, start to end: the load window and the drain after it */
  durationS: z.number().nonnegative(),
  /**
   * the load window, the seconds rates are averaged over: the stages' length, or up to the second
   * arrivals stopped in for a run that ended early (absent in summaries of before 2026-12: durationS)
   */
  loadS: z.number().nonnegative().optional(),
  /** the drain: from the end of the load window to the run's end (the last answers coming back) */
  drainS: z.number().nonnegative().optional(),
  /** how the run ended; `incomplete` when rebuilt from a series without an end line */
  endReason: z.union([z.enum(END_REASONS), z.literal('incomplete')]),
  shards: z.array(shardSchema).optional(),
  config: z.record(z.string(), z.unknown()),
  profile: z.record(z.string(), z.unknown()),
  endpoints: z.record(z.string(), endpointSummarySchema),
  total: endpointSummarySchema,
  generator: z.object({
    eventLoopLagMsP99: z.number().nonnegative(),
    cpuPct: z.number().nonnegative(),
    maxRssMb: z.number().nonnegative(),
    trustworthy: z.boolean(),
    /** why the generator's timing is not to be trusted, when it is not */
    warnings: z.array(z.string()),
    /** requests that waited for a connection of the shared pool (the pool full, not the generator) */
    waitedForConnection: z.number().int().nonnegative().optional(),
    /** the worst second's p99 of that wait, ms */
    connectionWaitMsP99: z.number().nonnegative().optional(),
    /** the worst second's send lag p99 (the generator's own lateness), ms */
    sendLagMsP99: z.number().nonnegative().optional(),
    /** when the shared pool held requests back: where the wait was, and what to change */
    connectionNote: z.string().optional(),
  }),
  thresholds: z.array(thresholdResultSchema),
  passed: z.boolean(),
  /** the user's changes to the load while it ran (run --web), in order; absent when none */
  controls: z.array(seriesControlSchema.omit({ type: true })).optional(),
})
export type Summary = z.infer<typeof summarySchema>
