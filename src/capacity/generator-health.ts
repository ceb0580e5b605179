import { TRUST_LIMITS } from '../metrics/health.js'

/**
 * The generator's health over a capacity step's hold: whether its own lateness or CPU may have
 * decided the step's verdict (judge.ts weighs it).
 */
/** When a generator second is suspect (the numbers of DESIGN.md §3 and the summary's). */
export const GENERATOR_LIMITS = {
  /** event-loop lag p99 over the second, ms */
  eventLoopLagMsP99: TRUST_LIMITS.eventLoopLagMsP99,
  /** CPU of the generator process over the second, % of one core */
  cpuPct: TRUST_LIMITS.cpuPct,
  /**
   * send lag p99 over the second, ms: arrivals leaving this late although a connection was free
   * means the generator's clock loop could not keep the schedule
   */
  sendLagMsP99: 25,
} as const

/** A step may have this many suspect seconds of a kind and still be trusted: a quarter of them, at least one. */
export const suspectSecondsAllowed = (seconds: number) => Math.max(1, Math.floor(seconds / 4))

/** The generator's health over one second of a step's hold. */
export interface GeneratorSecond {
  readonly eventLoopLagMsP99: number
  readonly cpuPct: number
  /** send lag p99 of the requests sent in that second, all endpoints (0 when none was sent) */
  readonly sendLagMsP99: number
}

/** Send lag over a step's hold, all endpoints, ms. */
export interface SendLagMs {
  readonly p50: number
  readonly p90: number
  readonly p95: number
  readonly p99: number
  readonly p999: number
  readonly max: number
  readonly mean: number
}

export interface GeneratorAssessment {
  /** used a whole core in too many seconds: the step says nothing of the target */
  readonly saturated: boolean
  /** late (loop lag or send lag) in too many seconds: its timing is in doubt */
  readonly late: boolean
  /** seconds judged */
  readonly seconds: number
  readonly suspectSeconds: number
  /** worst per-second event-loop lag p99, ms */
  readonly eventLoopLagMsP99: number
  /** mean CPU, % of one core */
  readonly cpuPct: number
  /** worst per-second send lag p99, ms */
  readonly sendLagMsP99: number
  /** requests that waited for a free connection (the target's backlog, not the generator's delay) */
  readonly waitedForConnection: number
  /** what was wrong with the generator, when something was */
  readonly warnings: readonly string[]
}

const round = (x: number, decimals: number) => Number(x.toFixed(decimals))

/**
 * The generator's health over a step's hold. A late send counts only when no request waited for a
 * connection (`waitedForConnection` = 0): a send late behind busy connections is the target's
 * backlog, which latency from the intended time already charges to the target.
 */
export function assessGenerator(
  seconds: readonly GeneratorSecond[],
  waitedForConnection: number,
): GeneratorAssessment {
  let lagOver = 0
  let cpuOver = 0
  let sendOver = 0
  let lateOver = 0
  let suspect = 0
  let worstLag = 0
  let worstSend = 0
  let cpuSum = 0
  const sendCounts = waitedForConnection === 0
  for (const s of seconds) {
    const lag = s.eventLoopLagMsP99 > GENERATOR_LIMITS.eventLoopLagMsP99
    const cpu = s.cpuPct >= GENERATOR_LIMITS.cpuPct
    const send = sendCounts && s.sendLagMsP99 > GENERATOR_LIMITS.sendLagMsP99
    if (lag) lagOver++
    if (cpu) cpuOver++
    if (send) sendOver++
    if (lag || send) lateOver++
    if (lag || cpu || send) suspect++
    worstLag = Math.max(worstLag, s.eventLoopLagMsP99)
    worstSend = Math.max(worstSend, s.sendLagMsP99)
    cpuSum += s.cpuPct
  }
  const n = seconds.length
  const allowed = suspectSecondsAllowed(n)
  const saturated = cpuOver > allowed
  const late = lateOver > allowed
  const warnings: string[] = []
  if (saturated) warnings.push(`CPU at ${GENERATOR_LIMITS.cpuPct}% of a core or more in ${cpuOver} of ${n} s`)
  if (late && lagOver > 0)
    warnings.push(
      `event-loop lag p99 over ${GENERATOR_LIMITS.eventLoopLagMsP99} ms in ${lagOver} of ${n} s (worst ${round(worstLag, 1)} ms)`,
    )
  if (late && sendOver > 0)
    warnings.push(
      `requests left over ${GENERATOR_LIMITS.sendLagMsP99} ms late (send lag p99) with connections free in ${sendOver} of ${n} s (worst ${round(worstSend, 1)} ms)`,
    )
  return {
    saturated,
    late,
    seconds: n,
    suspectSeconds: suspect,
    eventLoopLagMsP99: round(worstLag, 2),
    cpuPct: n > 0 ? round(cpuSum / n, 1) : 0,
    sendLagMsP99: round(worstSend, 2),
    waitedForConnection,
    warnings,
  }
}
