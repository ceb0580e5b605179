import type { Stage } from '../config/parse.js'
import { shareIntegralMs } from '../profile/stages.js'

/** A new user scale is reached over this long, in RAMP_STEPS equal steps, so the rate does not jump. */
export const USER_SCALE_RAMP_MS = 1000
const RAMP_STEPS = 10

interface Segment {
  /** run time (ms) the segment starts at; it lasts until the next one */
  readonly startMs: number
  /** ∫share of the stages up to startMs (share x ms) */
  readonly stageArea: number
  /** ∫share x user scale up to startMs: the area arrivals are drawn in */
  readonly area: number
  readonly scale: number
}

/**
 * The user scale over the run's time (run --web, POST /api/control): a factor on the stages'
 * share from the moment it is set. The rate asked at t is then ratePerMs x share(t) x scale(t),
 * and the arrivals stay one process drawn in that area (the time change of arrivals.ts): a change
 * moves the arrivals still to come, never the ones before it.
 *
 * The scale is piecewise constant: a change to a positive scale ramps from the scale in force to
 * the new one in RAMP_STEPS steps over USER_SCALE_RAMP_MS; a change to 0 (pause) takes effect at
 * once. A change drops whatever an earlier change had planned after it (the rest of its ramp).
 */
export class UserScaleSchedule {
  private segments: Segment[] = [{ startMs: 0, stageArea: 0, area: 0, scale: 1 }]

  constructor(
    private readonly stages: readonly Stage[],
    private readonly startShare = 0,
  ) {}

  /** No change was ever made: the stages alone. */
  get untouched(): boolean {
    return this.segments.length === 1 && this.segments[0]!.scale === 1
  }

  /** The user scale in force at run time t (ms). */
  scaleAt(t: number): number {
    return this.segmentAt(t).scale
  }

  /** The scale a change ramps to (the last one set). */
  get target(): number {
    return this.segments[this.segments.length - 1]!.scale
  }

  /** From run time atMs on, the user scale goes to `scale` (ramped when > 0). */
  set(atMs: number, scale: number): void {
    if (!(scale >= 0) || !Number.isFinite(scale)) throw new RangeError(`user scale ${scale} is not >= 0`)
    const from = this.scaleAt(atMs)
    // what an earlier change planned from atMs on is replaced
    this.segments = this.segments.filter((s) => s.startMs < atMs)
    const steps = scale === 0 ? 1 : RAMP_STEPS
    for (let i = 1; i <= steps; i++) {
      const startMs = atMs + ((i - 1) * USER_SCALE_RAMP_MS) / RAMP_STEPS
      this.push(startMs, i === steps ? scale : from + ((scale - from) * i) / steps)
    }
  }

  /**
   * The stages' ∫share at which the arrivals' area reaches `area`: what StageCursor turns into a
   * time. Infinity when it never does (the scale stays at 0).
   */
  stageAreaFor(area: number): number {
    const segments = this.segments
    if (segments.length === 1 && segments[0]!.scale === 1) return area
    // the last segment that starts at or before `area`, skipping the ones of scale 0 (no area)
    let lo = 0
    let hi = segments.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (segments[mid]!.area <= area) lo = mid
      else hi = mid - 1
    }
    // several segments may start at the same area (a pause adds none): the last of them applies
    const s = segments[lo]!
    if (s.scale === 0) return Number.POSITIVE_INFINITY
    return s.stageArea + (area - s.area) / s.scale
  }

  private segmentAt(t: number): Segment {
    const segments = this.segments
    let i = segments.length - 1
    while (i > 0 && segments[i]!.startMs > t) i--
    return segments[i]!
  }

  private push(startMs: number, scale: number): void {
    const stageArea = shareIntegralMs(this.stages, startMs, this.startShare)
    const previous = this.segments[this.segments.length - 1]
    const area = previous ? previous.area + previous.scale * (stageArea - previous.stageArea) : stageArea
    this.segments.push({ startMs, stageArea, area, scale })
  }
}
