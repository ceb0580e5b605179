/**
 * The capacity search as a pure function: from the steps measured so far, the next share of the
 * profile to hold, or the verdict. No clock, no I/O: the driver (driver.ts) measures a step, adds
 * its outcome to the history, and asks again. Tested from tables with a fake judge.
 *
 * The walk (DESIGN.md §1, "Capacity search"):
 * - ramp: from `start`, multiply the share by `factor` while steps hold, up to `maxShare`;
 * - bisect: after the first failing step, test between the highest share that held and the lowest
 *   that failed (geometric midpoint) until their gap is under `precision` (relative);
 * - confirm: when the very first step fails, it is measured once more before anything else (the
 *   first step also warms a cold target up: its failure may be the cold start's); a share measured
 *   twice counts by its latest measurement;
 * - descend: when the first step fails (confirmed), divide by `factor` until a step holds (then
 *   bisect), down to `minShare`;
 * - 1x of the profile is the share the test plan asks about, so whenever a move would jump over
 *   it (ramp, descent or bisection), 1 is tested instead: the verdict then answers "does 1x hold"
 *   by a measurement, not by interpolation;
 * - a step whose generator was not trustworthy ends the search at once: what the target holds is
 *   never inferred from a measurement the generator may have spoiled.
 */

/** How a measured step came out. */
export type StepResult =
  /** every SLO held, and the generator's timing can be trusted */
  | 'pass'
  /** an SLO broke, and the generator's timing can be trusted */
  | 'fail'
  /** the generator was not trustworthy (event-loop lag, CPU, send lag): the step says nothing of the target */
  | 'untrusted'

export interface StepOutcome {
  /** share of the profile held */
  readonly share: number
  readonly result: StepResult
}

export interface SearchSettings {
  /** first share tried */
  readonly start: number
  /** ramp multiplier, > 1 */
  readonly factor: number
  /** stop bisecting when (failed - held) / held is under this, > 0 */
  readonly precision: number
  /** highest share tried */
  readonly maxShare: number
  /** lowest share tried when the first steps fail */
  readonly minShare: number
}

export type Phase = 'ramp' | 'confirm' | 'bisect' | 'descend'

export type Verdict =
  /** held at `held`, failed at `failed`, and the gap is under the precision */
  | { readonly kind: 'found'; readonly held: number; readonly failed: number }
  /** held at the highest share allowed: the capacity is at least `held` */
  | { readonly kind: 'above_max'; readonly held: number }
  /** failed even at the lowest share allowed */
  | { readonly kind: 'below_min'; readonly failed: number }
  /** the generator was the bottleneck at `share`; `held`/`failed` are what was known before */
  | {
      readonly kind: 'generator_limited'
      readonly share: number
      readonly held?: number
      readonly failed?: number
    }
  /** the time limit came before the precision; what was known then */
  | { readonly kind: 'time_limit'; readonly held?: number; readonly failed?: number }
  /** stopped by the user (Ctrl-C); what was known then */
  | { readonly kind: 'interrupted'; readonly held?: number; readonly failed?: number }

export type Decision =
  | { readonly kind: 'step'; readonly share: number; readonly phase: Phase }
  | { readonly kind: 'done'; readonly verdict: Verdict }

/**
 * Shares are kept to 4 significant digits (0.7594, not 0.7593750000000001): far finer than any
 * precision allowed (settingsProblem asks for at least 0.5 %), and readable in tables and files.
 */
export function roundShare(share: number): number {
  return Number(share.toPrecision(4))
}

/** The latest outcome of each share (a re-measurement supersedes). */
function latestByShare(history: readonly StepOutcome[]): StepOutcome[] {
  const latest = new Map<number, StepOutcome>()
  for (const step of history) latest.set(step.share, step)
  return [...latest.values()]
}

/** The bracket the trusted steps give: the lowest failing share, the highest holding share under it. */
export function bracket(all: readonly StepOutcome[]): { held?: number; failed?: number } {
  const history = latestByShare(all)
  let failed: number | undefined
  for (const step of history) {
    if (step.result === 'fail' && (failed === undefined || step.share < failed)) failed = step.share
  }
  let held: number | undefined
  for (const step of history) {
    if (step.result !== 'pass') continue
    // a pass above a lower failure is noise of a measurement near the knee: the lower failure wins
    if (failed !== undefined && step.share >= failed) continue
    if (held === undefined || step.share > held) held = step.share
  }
  return { ...(held !== undefined && { held }), ...(failed !== undefined && { failed }) }
}

/** True when the gap between held and failed is under the precision. */
export function closeEnough(held: number, failed: number, precision: number): boolean {
  return (failed - held) / held < precision
}

/** The next share to hold, or the verdict. */
export function nextDecision(settings: SearchSettings, history: readonly StepOutcome[]): Decision {
  const { start, factor, precision, maxShare, minShare } = settings
  if (history.length === 0)
    return { kind: 'step', share: roundShare(Math.min(start, maxShare)), phase: 'ramp' }
  const last = history[history.length - 1]!
  const { held, failed } = bracket(history)
  if (history.length === 1 && last.result === 'fail')
    return { kind: 'step', share: last.share, phase: 'confirm' }
  if (last.result === 'untrusted') {
    return { kind: 'done', verdict: { kind: 'generator_limited', share: last.share, ...bracket(history) } }
  }
  if (failed === undefined) {
    // ramp: everything held so far
    const top = held!
    if (top >= maxShare) return { kind: 'done', verdict: { kind: 'above_max', held: top } }
    let next = top * factor
    if (top < 1 && next > 1) next = 1
    return { kind: 'step', share: roundShare(Math.min(next, maxShare)), phase: 'ramp' }
  }
  if (held === undefined) {
    // descend: nothing held yet
    if (failed <= minShare) return { kind: 'done', verdict: { kind: 'below_min', failed } }
    let next = failed / factor
    if (failed > 1 && next < 1) next = 1
    return { kind: 'step', share: roundShare(Math.max(next, minShare)), phase: 'descend' }
  }
  if (closeEnough(held, failed, precision)) return { kind: 'done', verdict: { kind: 'found', held, failed } }
  const next = held < 1 && failed > 1 ? 1 : Math.sqrt(held * failed)
  return { kind: 'step', share: roundShare(next), phase: 'bisect' }
}

/** Upper bound on the steps a search can take with these settings (the driver's loop bound). */
export function maxSteps(settings: SearchSettings): number {
  const { start, factor, precision, maxShare, minShare } = settings
  const ramp = Math.ceil(Math.log(Math.max(maxShare / start, 1)) / Math.log(factor)) + 3
  const descend = Math.ceil(Math.log(Math.max(start / minShare, 1)) / Math.log(factor)) + 2
  // bisection halves the log-gap, which starts at most at log(factor) (or the 1x snap's gap)
  const bisect = Math.ceil(Math.log2(Math.log(Math.max(factor, 1 + precision)) / Math.log(1 + precision))) + 3
  return ramp + descend + bisect
}

/** Checks settings; returns the first problem as text, or undefined when they are usable. */
export function settingsProblem(settings: SearchSettings): string | undefined {
  const { start, factor, precision, maxShare, minShare } = settings
  if (!(start > 0)) return `--start must be greater than 0, got ${start}`
  if (!(factor > 1)) return `--factor must be greater than 1, got ${factor}`
  if (!(precision >= 0.005 && precision < 1))
    return `--precision must be at least 0.005 (0.5 %) and under 1, got ${precision}`
  if (!(maxShare >= start)) return `--max-scale (${maxShare}) must be at least --start (${start})`
  if (!(minShare > 0 && minShare <= start))
    return `--min-scale (${minShare}) must be over 0 and at most --start (${start})`
  return undefined
}
