import { ConfigError } from '../errors.js'

/**
 * Thresholds in k6's syntax (DESIGN.md §6), parsed once at the edge into ThresholdSpecs that the
 * report evaluates. The grammar, as typed after --threshold:
 *
 *   THRESHOLD := METRIC [ '{' 'endpoint' ':' ENDPOINT_ID '}' ] ':' CONDITION { ',' CONDITION }
 *   CONDITION := AGGREGATION OPERATOR NUMBER
 *   AGGREGATION := 'p(' N ')' | 'avg' | 'min' | 'max' | 'med' | 'count' | 'rate'   (0 < N <= 100)
 *   OPERATOR := '<' | '<=' | '>' | '>=' | '==' | '!='
 *
 * e.g. `http_req_duration{endpoint:post_session}: p(95)<500, p(99)<1500`. Spaces are free around
 * every token. Durations are milliseconds, rates are fractions (0.01 = 1 %) except http_reqs'
 * rate, which is requests per second. A config file gives the same thing in k6's object form:
 * `{ "http_req_duration{endpoint:post_session}": ["p(95)<500"] }` (see src/config/load.ts).
 */

/** What each metric measures, and the aggregations it accepts. */
export const THRESHOLD_METRICS = {
  /** latency from the intended send time (coordinated-omission free), ms */
  http_req_duration: ['percentile', 'avg', 'min', 'max', 'med'],
  /** latency from the actual send, ms */
  http_req_duration_from_send: ['percentile', 'avg', 'min', 'max', 'med'],
  /** failed requests: rate = errors / completed requests */
  http_req_failed: ['rate'],
  /** completed requests: count, or rate = achieved requests per second */
  http_reqs: ['count', 'rate'],
  /** arrivals dropped at the in-flight cap: count, or rate = dropped / asked */
  dropped: ['count', 'rate'],
  /** how late requests were sent after their intended time, ms */
  send_lag: ['percentile', 'avg', 'min', 'max', 'med'],
} as const satisfies Record<string, readonly AggregationKind[]>

export type ThresholdMetric = keyof typeof THRESHOLD_METRICS
export type AggregationKind = 'percentile' | 'avg' | 'min' | 'max' | 'med' | 'count' | 'rate'

export type Aggregation =
  | { readonly kind: 'percentile'; readonly p: number }
  | { readonly kind: Exclude<AggregationKind, 'percentile'> }

export const OPERATORS = ['<=', '>=', '==', '!=', '<', '>'] as const
export type Operator = (typeof OPERATORS)[number]

export interface ThresholdCondition {
  /** normalized text, e.g. "p(95)<500" */
  readonly text: string
  readonly aggregation: Aggregation
  readonly op: Operator
  readonly bound: number
}

export interface ThresholdSpec {
  /** normalized metric with its tags, e.g. "http_req_duration{endpoint:post_session}" */
  readonly metric: string
  readonly name: ThresholdMetric
  /** the endpoint tag; absent: all endpoints together */
  readonly endpoint?: string
  readonly conditions: readonly ThresholdCondition[]
  /** stop the run when a condition fails (after delayAbortEvalMs) */
  readonly abortOnFail: boolean
  readonly delayAbortEvalMs: number
}

/** A threshold as RunConfig holds it (src/config/schema.ts). */
export interface ThresholdEntry {
  readonly metric: string
  readonly conditions: readonly string[]
  readonly abortOnFail?: boolean
  readonly delayAbortEvalMs?: number
}

export const THRESHOLD_EXAMPLE = "'http_req_duration{endpoint:post_session}: p(95)<500'"
const DEFAULT_DELAY_ABORT_EVAL_MS = 10_000

const METRIC = /^([a-z_]+)\s*(?:\{\s*([^}]*?)\s*\})?$/
const TAG = /^([A-Za-z_]+)\s*:\s*([A-Za-z0-9_.-]+)$/
const CONDITION = /^(p\(\s*(\d+(?:\.\d+)?)\s*\)|[a-z][a-z0-9_]*)\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)$/

const isMetric = (name: string): name is ThresholdMetric => Object.hasOwn(THRESHOLD_METRICS, name)

/** Parses a whole threshold as typed after --threshold: "METRIC{endpoint:ID}: COND, COND". */
export function parseThreshold(text: string, what = 'threshold'): ThresholdSpec {
  return thresholdSpec(thresholdEntry(text, what), what, text)
}

/** Splits "METRIC{endpoint:ID}: COND, COND" into a RunConfig threshold entry (not yet checked). */
export function thresholdEntry(text: string, what = 'threshold'): ThresholdEntry & { conditions: string[] } {
  const colon = metricEnd(text)
  if (colon < 0) {
    throw thresholdError(what, text, 'expected METRIC: CONDITION')
  }
  const conditions = text
    .slice(colon + 1)
    .split(',')
    .map((c) => c.trim())
  return { metric: text.slice(0, colon).trim(), conditions }
}

/** Turns RunConfig's threshold entries into specs; the first invalid one throws a ConfigError. */
export function thresholdSpecs(entries: readonly ThresholdEntry[], what = 'threshold'): ThresholdSpec[] {
  return entries.map((entry) => thresholdSpec(entry, what))
}

export function thresholdSpec(entry: ThresholdEntry, what = 'threshold', shown?: string): ThresholdSpec {
  const text = shown ?? `${entry.metric}: ${entry.conditions.join(', ')}`
  const { name, endpoint } = parseMetric(entry.metric, what, text)
  if (entry.conditions.length === 0 || entry.conditions.some((c) => c.trim() === '')) {
    throw thresholdError(what, text, 'a condition is empty')
  }
  return {
    metric: endpoint === undefined ? name : `${name}{endpoint:${endpoint}}`,
    name,
    ...(endpoint !== undefined && { endpoint }),
    conditions: entry.conditions.map((c) => parseCondition(c, name, what, text)),
    abortOnFail: entry.abortOnFail ?? false,
    delayAbortEvalMs: entry.delayAbortEvalMs ?? DEFAULT_DELAY_ABORT_EVAL_MS,
  }
}

/** The index of the colon that ends METRIC{TAGS}, or -1. */
function metricEnd(text: string): number {
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (ch === '{') depth++
    else if (ch === '}') depth--
    else if (ch === ':' && depth === 0) return i
  }
  return -1
}

function parseMetric(
  metric: string,
  what: string,
  text: string,
): { name: ThresholdMetric; endpoint?: string } {
  const match = METRIC.exec(metric.trim())
  if (!match)
    throw thresholdError(what, text, `"${metric.trim()}" is not a metric name with optional {endpoint:ID}`)
  const name = match[1]!
  if (!isMetric(name)) {
    throw thresholdError(
      what,
      text,
      `unknown metric "${name}" (known: ${Object.keys(THRESHOLD_METRICS).join(', ')})`,
    )
  }
  const tags = match[2]
  if (tags === undefined) return { name }
  const tag = TAG.exec(tags)
  if (!tag) throw thresholdError(what, text, `tags "{${tags}}" must be one {endpoint:ID}`)
  if (tag[1] !== 'endpoint')
    throw thresholdError(what, text, `unknown tag "${tag[1]}" (only endpoint is supported)`)
  return { name, endpoint: tag[2]! }
}

function parseCondition(
  condition: string,
  metric: ThresholdMetric,
  what: string,
  text: string,
): ThresholdCondition {
  const match = CONDITION.exec(condition.trim())
  if (!match) {
    throw thresholdError(
      what,
      text,
      `"${condition.trim()}" is not AGGREGATION OPERATOR NUMBER, like p(95)<500`,
    )
  }
  const [, head, percentile, op, bound] = match
  let aggregation: Aggregation
  if (percentile !== undefined) {
    const p = Number(percentile)
    if (!(p > 0 && p <= 100))
      throw thresholdError(what, text, `percentile p(${percentile}) must be over 0 and at most 100`)
    aggregation = { kind: 'percentile', p }
  } else if (
    head === 'avg' ||
    head === 'min' ||
    head === 'max' ||
    head === 'med' ||
    head === 'count' ||
    head === 'rate'
  ) {
    aggregation = { kind: head }
  } else {
    throw thresholdError(
      what,
      text,
      `unknown aggregation "${head}" (use p(N), avg, min, max, med, count or rate)`,
    )
  }
  const allowed: readonly AggregationKind[] = THRESHOLD_METRICS[metric]
  if (!allowed.includes(aggregation.kind)) {
    const names = allowed.map((k) => (k === 'percentile' ? 'p(N)' : k)).join(', ')
    throw thresholdError(what, text, `${metric} takes ${names}, not ${head}`)
  }
  const value = Number(bound)
  return {
    text: `${aggregationText(aggregation)}${op}${value}`,
    aggregation,
    op: op as Operator,
    bound: value,
  }
}

export function aggregationText(aggregation: Aggregation): string {
  return aggregation.kind === 'percentile' ? `p(${aggregation.p})` : aggregation.kind
}

function thresholdError(what: string, text: string, problem: string): ConfigError {
  return new ConfigError(
    `invalid ${what} "${text.trim()}": ${problem}; write METRIC{endpoint:ID}: CONDITION, like ${THRESHOLD_EXAMPLE}`,
  )
}

/** Checks a measured value against a condition. */
export function compare(value: number, op: Operator, bound: number): boolean {
  switch (op) {
    case '<':
      return value < bound
    case '<=':
      return value <= bound
    case '>':
      return value > bound
    case '>=':
      return value >= bound
    case '==':
      return value === bound
    case '!=':
      return value !== bound
  }
}
