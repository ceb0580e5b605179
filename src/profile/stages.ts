import type { Stage } from '../config/parse.js'

/** Total length of a list of stages (ms). */
export function stagesDurationMs(stages: readonly Stage[]): number {
  return stages.reduce((sum, stage) => sum + stage.durationMs, 0)
}

/**
 * The share of the profile asked at `elapsedMs` into the run: it moves linearly from the previous
 * stage's target (0 before the first stage, as k6's ramping-arrival-rate) to each stage's target.
 */
export function shareAt(stages: readonly Stage[], elapsedMs: number, startShare = 0): number {
  let from = startShare
  let start = 0
  for (const stage of stages) {
    if (elapsedMs < start + stage.durationMs)
      return from + ((stage.target - from) * (elapsedMs - start)) / stage.durationMs
    from = stage.target
    start += stage.durationMs
  }
  return from
}

/**
 * Expected number of arrivals between 0 and `elapsedMs` at `ratePerMs` x share: the integral of
 * shareAt. The scheduler inverts it so that constant arrivals follow the stages exactly.
 */
export function shareIntegralMs(stages: readonly Stage[], elapsedMs: number, startShare = 0): number {
  let from = startShare
  let start = 0
  let area = 0
  for (const stage of stages) {
    const end = start + stage.durationMs
    const upTo = Math.min(elapsedMs, end)
    if (upTo > start) {
      const shareAtUpTo = from + ((stage.target - from) * (upTo - start)) / stage.durationMs
      area += ((from + shareAtUpTo) / 2) * (upTo - start)
    }
    if (elapsedMs <= end) return area
    from = stage.target
    start = end
  }
  return area + from * (elapsedMs - start)
}
