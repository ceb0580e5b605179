import type { SeriesControl, ThresholdResult } from '../model/results.js'
import type { ChartColumns, ChartData } from '../report/index.js'
import type { ControlState } from './control.js'

/**
 * What the live page receives over server-sent events (GET /api/events), as JSON:
 *
 * - `hello`: everything so far (sent on connecting, and again when the run's header arrives);
 * - `second`: one folded second, as the report's charts need it, with the table and thresholds;
 * - `control`: a change the user made (a marker on the charts);
 * - `step`: a capacity step, as judged;
 * - `end`: the final verdict; the final report is then at GET /report.
 */
export type RowValues = { readonly [K in keyof ChartColumns]: number | null }

export interface LiveRow {
  readonly t: number
  /** the share of the profile asked at the end of the second (stages x --scale x user scale) */
  readonly share: number
  readonly total: RowValues
  readonly endpoints: Readonly<Record<string, RowValues>>
  readonly generator: {
    readonly eventLoopLagMsP99: number
    readonly cpuPct: number
    readonly rssMb: number
    readonly inFlight: number
  }
}

/** An endpoint's (or the total's) numbers since the start, as the report's endpoint table shows them. */
export interface TableRow {
  readonly endpoint: string
  readonly requests: number
  readonly ok: number
  readonly errors: number
  readonly dropped: number
  /** in the last second */
  readonly askedRps: number
  readonly achievedRps: number
  /** latency from the intended time since the start, ms; null before the first answer */
  readonly p50: number | null
  readonly p95: number | null
  readonly p99: number | null
  readonly max: number | null
}

/** A capacity step as judged (capacity --web). */
export interface LiveStep {
  /** 1-based, as capacity.json numbers its steps */
  readonly index: number
  readonly share: number
  readonly askedRps: number
  readonly achievedRps: number
  readonly p95Ms: number | null
  readonly errorRate: number
  /** null while the step runs */
  readonly held: boolean | null
  /** why it failed, or notes */
  readonly notes: readonly string[]
}

export interface LiveFinal {
  readonly passed: boolean
  readonly endReason: string
  readonly thresholds: readonly ThresholdResult[]
  /** a line to show, e.g. the capacity verdict */
  readonly note?: string
}

export interface HelloEvent {
  readonly kind: 'run' | 'capacity'
  /** absent until the run's header (time zero) */
  readonly run?: {
    readonly runId: string
    readonly target: string
    readonly startedAt: string
    readonly startedAtMs: number
    readonly endpoints: readonly string[]
  }
  readonly plannedS: number | null
  readonly colors: readonly string[]
  readonly chart: ChartData | null
  readonly table: readonly TableRow[]
  readonly thresholds: readonly ThresholdResult[]
  readonly control: ControlState | null
  readonly controls: readonly SeriesControl[]
  readonly steps: readonly LiveStep[]
  readonly final: LiveFinal | null
}

export interface SecondEvent {
  readonly row: LiveRow
  readonly table: readonly TableRow[]
  readonly thresholds: readonly ThresholdResult[]
  readonly control: ControlState | null
}

export interface ControlEvent {
  readonly change: SeriesControl
  /** the change as the charts mark it */
  readonly marker: { readonly t: number; readonly label: string }
  readonly control: ControlState | null
}

export type FeedEventName = 'hello' | 'second' | 'control' | 'step' | 'end'
