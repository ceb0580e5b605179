import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { ThresholdSpec } from '../config/thresholds.js'
import type { ArrivalKind, ClockKind, Transport, VisitDataSource } from '../engine/index.js'
import { UsageError } from '../errors.js'
import type { RunObserver } from '../metrics/index.js'
import { endpointIds } from '../profile/index.js'
import type { Profile } from '../profile/types.js'
import { evaluateThresholds } from '../report/index.js'
import { type LoadSource, warmUpSession } from '../session/index.js'
import type { CoolDown, CoolDownReport } from './cooldown.js'
import { assessGenerator, intendedRates, judgeStep, type StepJudgment } from './judge.js'
import {
  bracket,
  maxSteps,
  nextDecision,
  type Phase,
  type SearchSettings,
  type StepOutcome,
  type Verdict,
} from './search.js'
import { runStep, type StepMeasurement } from './step.js'

/**
 * The capacity search as a library call: measure a step (step.ts), judge it (judge.ts), ask the
 * pure search (search.ts) for the next share, rest the target (cooldown.ts), until a verdict, the
 * time limit or stop(). Prints nothing: onStep reports each step as it completes.
 */
/** Extra warm-up of the first step, s (see firstWarmupS). */
export const FIRST_STEP_EXTRA_WARMUP_S = 3

export interface CapacitySearchOptions {
  readonly target: string
  readonly profile: Profile
  /** endpoint ids (default: the profile's, in order) */
  readonly endpoints?: readonly string[]
  /**
   * engine scale at share 1 of the profile (default 1). The capacity command passes
   * --scale / --mock-time-scale: the shares stay in units of the real profile.
   */
  readonly scaleAt1x?: number
  readonly settings: SearchSettings
  /** judged seconds of each step */
  readonly stepS: number
  /** seconds before them, measured but not judged */
  readonly warmupS: number
  /**
   * the first step's warm-up (default warmupS + 3): the first step also warms the target up (a
   * freshly started process compiles its hot paths, opens its pools, fills its caches)
   */
  readonly firstWarmupS?: number
  /** the whole search ends before a step that would end after this (ms since the start) */
  readonly maxDurationMs: number
  readonly thresholds: readonly ThresholdSpec[]
  /** the rest between steps (default: none) */
  readonly coolDown?: CoolDown
  /** arrivals of each step (default constant: each step delivers exactly its share) */
  readonly arrival?: ArrivalKind
  /** seed of step 1; step n uses seed + n - 1 */
  readonly seed: number
  readonly maxInFlight?: number
  readonly connections?: number
  /** a connection per visit instead of the shared pool (browser traffic) */
  readonly connectionPerVisit?: boolean
  readonly timeoutMs?: number
  /** how long flows in flight may finish after a step's hold (default min(timeout, max(5 s, step))) */
  readonly drainTimeoutMs?: number
  readonly headers?: Readonly<Record<string, string>>
  readonly ca?: Buffer
  readonly insecure?: boolean
  readonly data?: VisitDataSource
  /** the HTTP client and the clock loop's wake-ups of every step (engine defaults when absent) */
  readonly transport?: Transport
  readonly clock?: ClockKind
  /** when given, each step's series goes to <runDir>/steps/<NN>/series.ndjson */
  readonly runDir?: string
  readonly runId?: string
  readonly config?: Record<string, unknown>
  readonly profileRecord?: Record<string, unknown>
  /** warm the process up before the first step (default true) */
  readonly warmUp?: boolean
  onStepStart?(step: { readonly index: number; readonly share: number; readonly phase: Phase }): void
  onStep?(step: StepRecord): void
  /** a consumer of each step's seconds (capacity --web's live page) */
  observeStep?(step: { readonly index: number; readonly share: number }): RunObserver
}

export interface StepRecord {
  /** 1-based */
  readonly index: number
  /** share of the profile held (profile units) */
  readonly share: number
  readonly phase: Phase
  /** `interrupted`: stopped by the user before its end, not judged */
  readonly result: StepOutcome['result'] | 'interrupted'
  readonly measurement: StepMeasurement
  readonly judgment: StepJudgment
  /** the rest the target had before this step (none before the first) */
  readonly coolDown?: CoolDownReport
}

export interface CapacitySearchResult {
  readonly startedAtMs: number
  readonly endedAtMs: number
  readonly steps: readonly StepRecord[]
  readonly verdict: Verdict
}

export interface CapacityHandle {
  readonly done: Promise<CapacitySearchResult>
  /** ends the step in progress gracefully and the search after it (verdict `interrupted`) */
  stop(): void
  /** the same, cutting the step's drain short */
  abort(): void
}

export function startCapacitySearch(options: CapacitySearchOptions): CapacityHandle {
  let engine: LoadSource | undefined
  let stopped = false
  let aborted = false
  const rest = new AbortController()
  const control = {
    stop() {
      stopped = true
      rest.abort()
      engine?.stop()
    },
    abort() {
      stopped = true
      aborted = true
      rest.abort()
      engine?.abort()
    },
  }
  const done = search(options, {
    stopped: () => stopped,
    restSignal: rest.signal,
    setEngine(e) {
      engine = e
      if (aborted) e?.abort()
      else if (stopped) e?.stop()
    },
  })
  return { done, ...control }
}

export function searchCapacity(options: CapacitySearchOptions): Promise<CapacitySearchResult> {
  return startCapacitySearch(options).done
}

interface Control {
  stopped(): boolean
  readonly restSignal: AbortSignal
  setEngine(engine: LoadSource | undefined): void
}

async function search(options: CapacitySearchOptions, control: Control): Promise<CapacitySearchResult> {
  const endpoints = options.endpoints ?? endpointIds(options.profile)
  const flows = options.profile.flows
  const scaleAt1x = options.scaleAt1x ?? 1
  const timeoutMs = options.timeoutMs ?? 30_000
  const drainTimeoutMs = options.drainTimeoutMs ?? Math.min(timeoutMs, Math.max(5000, options.stepS * 1000))
  const stepMs = (options.warmupS + options.stepS) * 1000
  const intendedAt1x = intendedRates(options.profile, scaleAt1x)
  const startedAtMs = Date.now()
  const started = performance.now()
  if (options.warmUp !== false) {
    // JIT warm-up of the engine's hot path and of a step's per-second judging (see warmUpSession)
    await warmUpSession({
      flows,
      endpoints,
      ...(options.data !== undefined && { data: options.data }),
      ...(options.transport !== undefined && { transport: options.transport }),
      ...(options.clock !== undefined && { clock: options.clock }),
      onSecond: ({ summary }) => evaluateThresholds(options.thresholds, summary),
    }).catch(() => {})
  }
  const history: StepOutcome[] = []
  const steps: StepRecord[] = []
  let verdict: Verdict | undefined
  let restBefore: CoolDownReport | undefined
  const bound = maxSteps(options.settings)
  for (let index = 1; index <= bound + 1 && verdict === undefined; index++) {
    if (control.stopped()) {
      verdict = { kind: 'interrupted', ...bracket(history) }
      break
    }
    const decision = nextDecision(options.settings, history)
    if (decision.kind === 'done') {
      verdict = decision.verdict
      break
    }
    if (
      performance.now() - started + stepMs + (index === 1 ? FIRST_STEP_EXTRA_WARMUP_S * 1000 : 0) >
      options.maxDurationMs
    ) {
      verdict = { kind: 'time_limit', ...bracket(history) }
      break
    }
    const { share, phase } = decision
    options.onStepStart?.({ index, share, phase })
    let seriesPath: string | undefined
    if (options.runDir !== undefined) {
      const dir = join(options.runDir, 'steps', String(index).padStart(2, '0'))
      mkdirSync(dir, { recursive: true })
      seriesPath = join(dir, 'series.ndjson')
    }
    const warmupS =
      index === 1 ? (options.firstWarmupS ?? options.warmupS + FIRST_STEP_EXTRA_WARMUP_S) : options.warmupS
    const measurement = await runStep({
      target: options.target,
      flows,
      endpoints,
      engineScale: share * scaleAt1x,
      share,
      warmupS,
      holdS: options.stepS,
      drainTimeoutMs,
      arrival: options.arrival ?? 'constant',
      seed: options.seed + index - 1,
      maxInFlight: options.maxInFlight ?? 10_000,
      ...(options.connections !== undefined && { connections: options.connections }),
      ...(options.connectionPerVisit === true && { connectionPerVisit: true }),
      timeoutMs,
      ...(options.headers !== undefined && { headers: options.headers }),
      ...(options.ca !== undefined && { ca: options.ca }),
      ...(options.insecure !== undefined && { insecure: options.insecure }),
      ...(options.data !== undefined && { data: options.data }),
      ...(options.transport !== undefined && { transport: options.transport }),
      ...(options.clock !== undefined && { clock: options.clock }),
      thresholds: options.thresholds,
      ...(seriesPath !== undefined && { seriesPath }),
      runId: `${options.runId ?? 'capacity'}-step-${String(index).padStart(2, '0')}`,
      ...(options.config !== undefined && { config: options.config }),
      ...(options.profileRecord !== undefined && { profile: options.profileRecord }),
      ...(options.observeStep !== undefined && { observers: [options.observeStep({ index, share })] }),
      onEngine: (e) => control.setEngine(e),
    })
    control.setEngine(undefined)
    if (index === 1) refuseUnreachable(options.target, measurement)
    const judgment = judgeStep(
      measurement.thresholds,
      measurement.firstFailedS,
      assessGenerator(measurement.generatorSeconds, measurement.engine.waitedForConnection),
      measurement.sendLagMs,
      {
        intendedRps: share * intendedAt1x.requestsPerS,
        visitsPerS: share * intendedAt1x.visitsPerS,
        achievedRps: measurement.total.achievedRps,
        holdS: measurement.holdSeconds,
        arrival: options.arrival ?? 'constant',
      },
    )
    const interrupted = measurement.engine.stopped
    const record: StepRecord = {
      index,
      share,
      phase,
      result: interrupted ? 'interrupted' : judgment.result,
      measurement,
      judgment,
      ...(restBefore !== undefined && { coolDown: restBefore }),
    }
    steps.push(record)
    options.onStep?.(record)
    if (interrupted) {
      verdict = { kind: 'interrupted', ...bracket(history) }
      break
    }
    history.push({ share, result: judgment.result })
    // rest before the next step (not after the last: the caller stops the target)
    restBefore =
      nextDecision(options.settings, history).kind === 'step' && options.coolDown && !control.stopped()
        ? await options.coolDown(control.restSignal)
        : undefined
  }
  return {
    startedAtMs,
    endedAtMs: Date.now(),
    steps,
    verdict: verdict ?? { kind: 'time_limit', ...bracket(history) },
  }
}

/** Failures that mean nothing answered at the target's address (not a slow target: a wrong one). */
const UNREACHABLE: ReadonlySet<string> = new Set(['connect_refused', 'dns', 'tls'])

/**
 * A first step that got no answer at all, only refused connections, unknown names or failed TLS
 * handshakes, is a wrong --target (or one that is down), not a capacity below the start: say so.
 */
function refuseUnreachable(target: string, m: StepMeasurement): void {
  // every row: with browser traffic the first request of a visit is a CORS preflight, a row of its
  // own outside the total
  const rows = Object.values(m.endpoints)
  const counts = new Map<string, number>()
  for (const row of rows)
    for (const [kind, n] of Object.entries(row.errorKinds)) counts.set(kind, (counts.get(kind) ?? 0) + n)
  const kinds = [...counts].filter(([, n]) => n > 0)
  const ok = rows.reduce((n, row) => n + row.ok, 0)
  if (ok > 0 || kinds.length === 0 || !kinds.every(([kind]) => UNREACHABLE.has(kind))) return
  throw new UsageError(
    `nothing answered at ${target} during the first step (${kinds.map(([k, n]) => `${k} ${n}`).join(', ')}): is the target up, and is --target right?`,
  )
}
