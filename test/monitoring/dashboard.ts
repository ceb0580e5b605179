import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** dashboards/ at the repository root (tests run from dist/test/monitoring). */
export const DASHBOARDS = fileURLToPath(new URL('../../../dashboards/', import.meta.url))

export interface DashboardTarget {
  readonly panel: string
  readonly expr: string
  readonly datasource: unknown
}

export interface DashboardPanel {
  readonly title: string
  readonly type: string
  readonly datasource?: unknown
  readonly targets?: ReadonlyArray<{ expr: string; datasource?: unknown; refId: string }>
  readonly panels?: readonly DashboardPanel[]
}

export interface Dashboard {
  readonly __inputs: ReadonlyArray<{ name: string; type: string; pluginId: string }>
  readonly panels: readonly DashboardPanel[]
  readonly templating: {
    list: ReadonlyArray<{ name: string; type: string; datasource?: unknown; query?: unknown }>
  }
  readonly uid: string
  readonly title: string
}

export function readDashboard(): Dashboard {
  return JSON.parse(readFileSync(`${DASHBOARDS}checkin-load.json`, 'utf8')) as Dashboard
}

/** Every panel, those inside rows too. */
export function allPanels(dashboard: Dashboard): DashboardPanel[] {
  return dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])])
}

export function allTargets(dashboard: Dashboard): DashboardTarget[] {
  return allPanels(dashboard).flatMap((p) =>
    (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr, datasource: t.datasource })),
  )
}

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
])

/** The metric names a PromQL expression selects (functions, keywords, labels and strings removed). */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // range selectors
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // grouping labels
  const names = new Set<string>()
  for (const match of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*(?=\s*(\(?))/g)) {
    const name = match[0]
    if (match[1] === '(' || KEYWORDS.has(name.toLowerCase())) continue
    names.add(name)
  }
  return [...names]
}

/** Label names an expression filters on, per metric: `metric{label="…"}` (for the label check). */
export function selectorLabels(expr: string): Array<{ metric: string; labels: string[] }> {
  return [...expr.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)\{([^}]*)\}/g)].map(([, metric, body]) => ({
    metric: metric!,
    labels: [...body!.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1]!),
  }))
}

/** A histogram's series names map to the histogram's name. */
export function baseName(name: string): string {
  return name.replace(/_(bucket|sum|count)$/, '')
}

/** Metric names and label names of an exposition text (# TYPE lines, and the labels of samples). */
export function exposedMetrics(text: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>()
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) \S+/.exec(line)
    if (type) {
      if (!out.has(type[1]!)) out.set(type[1]!, new Set())
      continue
    }
    const sample = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})? /.exec(line)
    if (!sample) continue
    const labels = out.get(baseName(sample[1]!)) ?? out.get(sample[1]!)
    for (const m of (sample[2] ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_]*)="/g)) labels?.add(m[1]!)
  }
  return out
}

/**
 * A dashboard expression as Prometheus can run it: Grafana's variables replaced by values
 * (`$run_id` by a run, multi-value variables by `.*`, `$__rate_interval` by a range).
 */
export function concreteExpr(expr: string, values: { runId: string; rateInterval?: string }): string {
  return expr
    .replaceAll('$__rate_interval', values.rateInterval ?? '1m')
    .replaceAll('$run_id', values.runId)
    .replaceAll('$endpoint', '.*')
    .replaceAll('$standin_job', '.*')
}
