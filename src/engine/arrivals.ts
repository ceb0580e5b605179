import type { Stage } from '../config/parse.js'
import type { Rng } from './rng.js'
import type { UserScaleSchedule } from './user-scale.js'

/**
 * Arrivals of one flow on the run's clock.
 *
 * The stages make the rate vary over time: rate(t) = ratePerMs x share(t). Both processes are
 * drawn in "arrival space", where the expected count of arrivals up to time t is
 * Λ(t) = ratePerMs x ∫share: a unit-rate process there (points S_1 < S_2 < ...) mapped back through
 * Λ⁻¹ gives arrivals that follow the stages exactly (the time-change theorem for a Poisson process;
 * for constant arrivals, points at n + 0.5 so that the count up to t is round(Λ(t))).
 *
 * Shards: every shard draws the same full stream from the shared seed and keeps the arrivals whose
 * number n satisfies n % count == index. N shards together make exactly the stream one process
 * would make, arrival for arrival, so merged results are profile x scale, not an approximation.
 */
export type ArrivalKind = 'poisson' | 'constant'

/** Points of a unit-rate process in arrival space (expected one point per unit), increasing. */
export interface ArrivalProcess {
  nextPoint(): number
}

export interface ShardSlice {
  readonly index: number
  readonly count: number
}

const WHOLE: ShardSlice = { index: 0, count: 1 }

/** Evenly spaced points at n + 0.5, for the arrivals n this shard keeps. */
export class ConstantProcess implements ArrivalProcess {
  private n: number
  private readonly step: number
  constructor(shard: ShardSlice = WHOLE) {
    this.n = shard.index
    this.step = shard.count
  }
  nextPoint(): number {
    const point = this.n + 0.5
    this.n += this.step
    return point
  }
}

/** A unit-rate Poisson process (exponential gaps from the injected RNG), thinned to this shard's arrivals. */
export class PoissonProcess implements ArrivalProcess {
  private point = 0
  private skip: number
  private readonly step: number
  constructor(
    private readonly rng: Rng,
    shard: ShardSlice = WHOLE,
  ) {
    this.skip = shard.index + 1
    this.step = shard.count
  }
  nextPoint(): number {
    for (let i = 0; i < this.skip; i++) this.point += this.rng.exponential()
    this.skip = this.step
    return this.point
  }
}

export function createArrivalProcess(kind: ArrivalKind, rng: Rng, shard: ShardSlice = WHOLE): ArrivalProcess {
  return kind === 'poisson' ? new PoissonProcess(rng, shard) : new ConstantProcess(shard)
}

/**
 * The inverse of shareIntegralMs: the time (ms) at which ∫share reaches `area` (share x ms), or
 * Infinity when it never does (the share stays at 0 after the last stage). Pure; see StageCursor for
 * the incremental version the scheduler uses.
 */
export function inverseShareIntegralMs(stages: readonly Stage[], area: number, startShare = 0): number {
  return new StageCursor(stages, startShare).timeAt(area)
}

/**
 * Walks the stages forward for increasing areas: each call costs O(1) amortized. Stage shares move
 * linearly from the previous target (`startShare` before the first stage, as shareAt) to each
 * stage's target, then hold at the last target.
 */
export class StageCursor {
  private index = 0
  private from: number
  private startMs = 0
  private areaBefore = 0

  constructor(
    private readonly stages: readonly Stage[],
    private readonly startShare = 0,
  ) {
    this.from = startShare
  }

  timeAt(area: number): number {
    if (area < this.areaBefore) return this.restart(area)
    while (this.index < this.stages.length) {
      const stage = this.stages[this.index]!
      const d = stage.durationMs
      const to = stage.target
      const stageArea = ((this.from + to) / 2) * d
      const a = area - this.areaBefore
      // within a rounding of the stage's end counts as in it: the stage sums can fall a few ulps
      // short of the whole area (shareIntegralMs adds in another order), and after a ramp to 0
      // that would put the last arrival at "never"
      if (stageArea > 0 && a <= stageArea + ROUNDING * Math.max(1, area))
        return this.startMs + solveWithinStage(this.from, to, d, Math.min(a, stageArea))
      this.areaBefore += stageArea
      this.startMs += d
      this.from = to
      this.index++
    }
    // after the last stage, the share holds at its target
    if (this.from <= 0) return Number.POSITIVE_INFINITY
    return this.startMs + (area - this.areaBefore) / this.from
  }

  private restart(area: number): number {
    this.index = 0
    this.from = this.startShare
    this.startMs = 0
    this.areaBefore = 0
    return this.timeAt(area)
  }
}

/** relative rounding tolerated between sums of stage areas (doubles: ~1e-16 per addition) */
const ROUNDING = 1e-12

/** x in [0, d] with ∫₀ˣ (from + (to - from) u / d) du = a, for a share moving linearly from→to over d. */
function solveWithinStage(from: number, to: number, d: number, a: number): number {
  if (a <= 0) return 0
  const k = (to - from) / (2 * d)
  if (Math.abs(k) < 1e-15) return a / from
  // k x² + from x - a = 0; the stable root: x = 2a / (from + sqrt(from² + 4 k a))
  const disc = Math.max(0, from * from + 4 * k * a)
  const x = (2 * a) / (from + Math.sqrt(disc))
  return Math.min(x, d)
}

/**
 * One flow's arrival times (ms from the run's time zero), in order, until the end of the stages.
 * `ratePerMs` is the flow's arrivals per ms at share 1 (already times --scale). With a user scale
 * (user-scale.ts), the points are drawn in the area of share x user scale; after a change of it,
 * reschedule() moves the pending arrival to where the new scale puts it.
 */
export class ArrivalStream {
  private readonly cursor: StageCursor
  /** the pending arrival's point in arrival space */
  private point = Number.NaN
  private ended = false
  /** time of the next arrival this shard keeps; Infinity when the stream is over (or paused) */
  nextMs: number

  constructor(
    private readonly process: ArrivalProcess,
    stages: readonly Stage[],
    private readonly ratePerMs: number,
    private readonly endMs: number,
    startShare = 0,
    private readonly userScale?: UserScaleSchedule,
  ) {
    this.cursor = new StageCursor(stages, startShare)
    this.nextMs = Number.POSITIVE_INFINITY
    if (ratePerMs > 0) this.advance()
    else this.ended = true
  }

  /** Moves to the following arrival. */
  advance(): void {
    this.point = this.process.nextPoint()
    this.place()
  }

  /** The user scale changed: the pending arrival moves to its time under the new scale. */
  reschedule(): void {
    if (!this.ended) this.place()
  }

  /** Ends the stream now (stop requested). */
  end(): void {
    this.ended = true
    this.nextMs = Number.POSITIVE_INFINITY
  }

  private place(): void {
    const area = this.point / this.ratePerMs
    const stageArea = this.userScale ? this.userScale.stageAreaFor(area) : area
    const t = stageArea === Number.POSITIVE_INFINITY ? stageArea : this.cursor.timeAt(stageArea)
    this.nextMs = t < this.endMs ? t : Number.POSITIVE_INFINITY
  }
}
