import type { EndpointSummary, Summary } from '../model/results.js'
import {
  endReasonText,
  formatMs,
  formatNumber,
  formatPercent,
  formatRps,
  runLengthText,
  sumValues,
} from './format.js'
import { formatTable, paint } from './text-table.js'

/**
 * Comparing two runs (BASE, then NEW), endpoint by endpoint. The rules are data, stated in every
 * output and in docs/report.md. A change counts only when it is large both relatively and
 * absolutely, so that noise between two healthy runs reads as "no significant change".
 */
export const COMPARE_RULES = {
  /** latency p95 from intended time: worse/better by more than 10 % and more than 5 ms */
  p95: { relative: 0.1, absoluteMs: 5 },
  /** latency p99: worse/better by more than 20 % and more than 10 ms (p99 is noisier) */
  p99: { relative: 0.2, absoluteMs: 10 },
  /** error rate (errors / completed requests): up/down by more than 0.5 percentage points */
  errorRatePp: 0.5,
  /** dropped rate (dropped / asked): up/down by more than 0.5 percentage points */
  droppedRatePp: 0.5,
  /** delivery (achieved / asked req/s): down/up by more than 5 percentage points */
  deliveryPp: 5,
  /** the runs asked for loads more than 10 % apart: the comparison says so */
  loadMismatch: 0.1,
} as const

export const RULES_TEXT: readonly string[] = [
  `latency p95 (from intended time) worse/better by more than ${COMPARE_RULES.p95.relative * 100}% and more than ${COMPARE_RULES.p95.absoluteMs} ms`,
  `latency p99 worse/better by more than ${COMPARE_RULES.p99.relative * 100}% and more than ${COMPARE_RULES.p99.absoluteMs} ms`,
  `error rate (errors / requests) up/down by more than ${COMPARE_RULES.errorRatePp} percentage points`,
  `dropped rate (dropped / asked) up/down by more than ${COMPARE_RULES.droppedRatePp} percentage points`,
  `delivery (achieved / asked req/s) down/up by more than ${COMPARE_RULES.deliveryPp} percentage points`,
  'an endpoint regresses when any rule says worse, improves when one says better and none worse; the run regresses when any endpoint does',
]

export type Verdict = 'regression' | 'improvement' | 'no_significant_change'
export type Change = 'worse' | 'better' | 'same'

export const METRICS = [
  'achievedRps',
  'p50Ms',
  'p95Ms',
  'p99Ms',
  'errorRate',
  'droppedRate',
  'delivery',
] as const
export type ComparedMetric = (typeof METRICS)[number]

export interface MetricDelta {
  readonly base: number | null
  readonly new: number | null
  /** new - base */
  readonly delta: number | null
  /** (new - base) / base, null when base is 0 or missing */
  readonly relative: number | null
  /** what the rules make of it; informational metrics (achievedRps, p50Ms) are always "same" */
  readonly change: Change
}

export interface EndpointComparison {
  /** an endpoint only one run has is listed but not judged */
  readonly verdict: Verdict | 'not_compared'
  readonly metrics: Readonly<Record<ComparedMetric, MetricDelta>>
  /** why the verdict, e.g. "p95Ms worse: 23.4 -> 30.1 ms (+28.6%)" */
  readonly reasons: readonly string[]
}

export interface RunRef {
  readonly runId: string
  readonly startedAt: string
  readonly durationS: number
  readonly expectedRps: number
}

export interface Comparison {
  readonly base: RunRef
  readonly new: RunRef
  readonly verdict: Verdict
  readonly rules: readonly string[]
  readonly endpoints: Readonly<Record<string, EndpointComparison>>
  readonly total: EndpointComparison
  /** caveats: different loads, untrustworthy generator, endpoints only in one run */
  readonly notes: readonly string[]
}

type Values = Record<ComparedMetric, number | null>

function values(e: EndpointSummary | undefined, durationS: number): Values | undefined {
  if (!e) return undefined
  const asked = Math.round(e.expectedRps * durationS)
  const hasLatency = e.requests > 0 && e.histogram !== ''
  return {
    achievedRps: e.achievedRps,
    p50Ms: hasLatency ? e.latencyMs.p50 : null,
    p95Ms: hasLatency ? e.latencyMs.p95 : null,
    p99Ms: hasLatency ? e.latencyMs.p99 : null,
    errorRate: e.requests > 0 ? sumValues(e.errors) / e.requests : null,
    droppedRate: asked > 0 ? e.dropped / asked : null,
    delivery: e.expectedRps > 0 ? e.achievedRps / e.expectedRps : null,
  }
}

/** Worse, better or same by the rules; `higherIsWorse` for latencies and failure rates. */
function judge(metric: ComparedMetric, base: number | null, next: number | null): Change {
  if (base === null || next === null) return 'same'
  const d = next - base
  const sign = (worse: boolean, better: boolean): Change => (worse ? 'worse' : better ? 'better' : 'same')
  switch (metric) {
    case 'p95Ms':
    case 'p99Ms': {
      const rule = metric === 'p95Ms' ? COMPARE_RULES.p95 : COMPARE_RULES.p99
      const big = Math.abs(d) > rule.absoluteMs && Math.abs(d) > rule.relative * base
      return sign(big && d > 0, big && d < 0)
    }
    case 'errorRate':
      return sign(d * 100 > COMPARE_RULES.errorRatePp, -d * 100 > COMPARE_RULES.errorRatePp)
    case 'droppedRate':
      return sign(d * 100 > COMPARE_RULES.droppedRatePp, -d * 100 > COMPARE_RULES.droppedRatePp)
    case 'delivery':
      return sign(-d * 100 > COMPARE_RULES.deliveryPp, d * 100 > COMPARE_RULES.deliveryPp)
    default:
      return 'same'
  }
}

const round = (x: number | null, decimals = 6) => (x === null ? null : Number(x.toFixed(decimals)))

/** One endpoint (or the total) of two runs; durations recover the asked counts from expectedRps. */
export function compareEndpoint(
  base: EndpointSummary | undefined,
  next: EndpointSummary | undefined,
  durationS: { base: number; new: number },
): EndpointComparison {
  const b = values(base, durationS.base)
  const n = values(next, durationS.new)
  const metrics = Object.fromEntries(
    METRICS.map((m) => {
      const bv = b?.[m] ?? null
      const nv = n?.[m] ?? null
      const delta = bv === null || nv === null ? null : nv - bv
      const relative = delta === null || bv === 0 || bv === null ? null : delta / bv
      return [
        m,
        {
          base: round(bv),
          new: round(nv),
          delta: round(delta),
          relative: round(relative, 4),
          change: judge(m, bv, nv),
        },
      ]
    }),
  ) as Record<ComparedMetric, MetricDelta>
  if (!b || !n) return { verdict: 'not_compared', metrics, reasons: [b ? 'only in BASE' : 'only in NEW'] }
  const reasons = METRICS.filter((m) => metrics[m].change !== 'same').map(
    (m) => `${REASON_LABELS[m]} ${metrics[m].change}: ${describeDelta(m, metrics[m])}`,
  )
  const changes = METRICS.map((m) => metrics[m].change)
  const verdict: Verdict = changes.includes('worse')
    ? 'regression'
    : changes.includes('better')
      ? 'improvement'
      : 'no_significant_change'
  return { verdict, metrics, reasons }
}

export function compareSummaries(base: Summary, next: Summary): Comparison {
  const ids = [
    ...Object.keys(base.endpoints),
    ...Object.keys(next.endpoints).filter((id) => !Object.hasOwn(base.endpoints, id)),
  ]
  // rates are over the load window (loadS); older summaries: the whole run
  const durations = { base: base.loadS ?? base.durationS, new: next.loadS ?? next.durationS }
  const endpoints = Object.fromEntries(
    ids.map((id) => [id, compareEndpoint(base.endpoints[id], next.endpoints[id], durations)]),
  )
  const verdicts = Object.values(endpoints).map((e) => e.verdict)
  const verdict: Verdict = verdicts.includes('regression')
    ? 'regression'
    : verdicts.includes('improvement')
      ? 'improvement'
      : 'no_significant_change'
  const notes: string[] = []
  const [bRps, nRps] = [base.total.expectedRps, next.total.expectedRps]
  if (Math.abs(nRps - bRps) > COMPARE_RULES.loadMismatch * Math.max(bRps, nRps)) {
    notes.push(
      `the runs asked for different loads (${formatRps(bRps)} vs ${formatRps(nRps)} req/s): compare like with like`,
    )
  }
  for (const [name, s] of [
    ['BASE', base],
    ['NEW', next],
  ] as const) {
    if (!s.generator.trustworthy)
      notes.push(`${name}'s generator was not trustworthy: ${s.generator.warnings.join('; ')}`)
  }
  for (const [id, e] of Object.entries(endpoints))
    if (e.verdict === 'not_compared') notes.push(`${id} is ${e.reasons[0]}`)
  for (const [name, s] of [
    ['BASE', base],
    ['NEW', next],
  ] as const) {
    if (s.endReason !== 'completed')
      notes.push(
        `${name} did not run as planned (ended ${endReasonText(s.endReason)}): its numbers cover ${runLengthText(s)}`,
      )
  }
  if (base.target !== next.target)
    notes.push(`the runs loaded different targets (BASE ${base.target}, NEW ${next.target})`)
  return {
    base: ref(base),
    new: ref(next),
    verdict,
    rules: RULES_TEXT,
    endpoints,
    total: compareEndpoint(base.total, next.total, durations),
    notes,
  }
}

const ref = (s: Summary): RunRef => ({
  runId: s.runId,
  startedAt: s.startedAt,
  durationS: s.durationS,
  expectedRps: s.total.expectedRps,
})

const IS_RATE: Readonly<Record<ComparedMetric, boolean>> = {
  achievedRps: false,
  p50Ms: false,
  p95Ms: false,
  p99Ms: false,
  errorRate: true,
  droppedRate: true,
  delivery: true,
}

/** A metric's value as text: ms, req/s or percent. */
export function formatMetric(metric: ComparedMetric, value: number | null): string {
  if (value === null) return '-'
  if (IS_RATE[metric]) return formatPercent(value)
  return metric === 'achievedRps' ? formatRps(value) : formatMs(value)
}

/** The change as text: "+28.6%" for ms and req/s, "+1.20 pp" for rates. */
export function formatChange(metric: ComparedMetric, d: MetricDelta): string {
  if (d.delta === null) return '-'
  const sign = d.delta > 0 ? '+' : d.delta < 0 ? '-' : '±'
  if (IS_RATE[metric]) return `${sign}${formatNumber(Math.abs(d.delta) * 100, 2)} pp`
  if (d.relative === null) return `${sign}${formatMetric(metric, Math.abs(d.delta))}`
  return `${sign}${formatNumber(Math.abs(d.relative) * 100, 1)}%`
}

function describeDelta(metric: ComparedMetric, d: MetricDelta): string {
  const unit = IS_RATE[metric] ? '' : metric === 'achievedRps' ? ' req/s' : ' ms'
  return `${formatMetric(metric, d.base)} -> ${formatMetric(metric, d.new)}${unit} (${formatChange(metric, d)})`
}

/** A metric as the reasons name it, in words rather than the JSON key. */
export const REASON_LABELS: Readonly<Record<ComparedMetric, string>> = {
  achievedRps: 'achieved req/s',
  p50Ms: 'latency p50',
  p95Ms: 'latency p95',
  p99Ms: 'latency p99',
  errorRate: 'error rate',
  droppedRate: 'dropped rate',
  delivery: 'achieved/asked',
}

export const METRIC_LABELS: Readonly<Record<ComparedMetric, string>> = {
  achievedRps: 'achieved req/s',
  p50Ms: 'p50 ms',
  p95Ms: 'p95 ms',
  p99Ms: 'p99 ms',
  errorRate: 'error rate',
  droppedRate: 'dropped rate',
  delivery: 'achieved/asked',
}

export const VERDICT_TEXT: Readonly<Record<Verdict | 'not_compared', string>> = {
  regression: 'REGRESSION',
  improvement: 'improvement',
  no_significant_change: 'no significant change',
  not_compared: 'not compared',
}

/** The comparison for the terminal: a row per endpoint and metric, verdicts, then the rules. */
export function formatComparison(comparison: Comparison, options: { color: boolean }): string {
  const c = paint(options.color)
  const mark = (change: Change, text: string) =>
    change === 'worse' ? c.red(text) : change === 'better' ? c.green(text) : text
  const verdictText = (v: Verdict | 'not_compared') =>
    v === 'regression'
      ? c.red(c.bold(VERDICT_TEXT[v]))
      : v === 'improvement'
        ? c.green(VERDICT_TEXT[v])
        : VERDICT_TEXT[v]
  const rows: string[][] = []
  for (const [id, e] of [...Object.entries(comparison.endpoints), ['total', comparison.total] as const]) {
    METRICS.forEach((m, i) => {
      const d = e.metrics[m]
      rows.push([
        i === 0 ? id : '',
        METRIC_LABELS[m],
        formatMetric(m, d.base),
        formatMetric(m, d.new),
        mark(d.change, formatChange(m, d)),
        d.change === 'same' ? '' : mark(d.change, d.change),
      ])
    })
  }
  const lines = [
    `Comparing BASE ${comparison.base.runId} with NEW ${comparison.new.runId}`,
    '',
    formatTable(['endpoint', 'metric', 'BASE', 'NEW', 'change', 'judged'], rows, { leftColumns: [0, 1, 5] }),
    '',
    'Verdicts:',
    ...Object.entries(comparison.endpoints).map(
      ([id, e]) =>
        `  ${id}: ${verdictText(e.verdict)}${e.reasons.length > 0 ? ` (${e.reasons.join('; ')})` : ''}`,
    ),
    ...comparison.notes.map((n) => c.yellow(`Note: ${n}`)),
    '',
    `Overall: ${verdictText(comparison.verdict)}`,
    '',
    'Rules:',
    ...comparison.rules.map((r) => `  - ${r}`),
  ]
  return `${lines.join('\n')}\n`
}
