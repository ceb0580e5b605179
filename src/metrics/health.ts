import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks'
import type { GeneratorHealth } from '../model/results.js'

/**
 * The generator watches itself: event-loop lag (perf_hooks.monitorEventLoopDelay), CPU used by
 * the process (process.cpuUsage) and RSS, sampled once a second. When the loop lags, arrivals
 * leave late and latencies include the generator's own delay: the summary then marks the run's
 * timing as not trustworthy (see TRUST_LIMITS: the one definition, which the summary and the
 * capacity search's judge both use).
 */
export const TRUST_LIMITS = {
  /** event-loop lag p99 above this (ms) makes a second's send times unreliable */
  eventLoopLagMsP99: 10,
  /** a generator using this share of one core (%) or more in a second is at its ceiling */
  cpuPct: 95,
} as const

/** monitorEventLoopDelay's sampling timer (ms); its samples include this interval, which we subtract. */
const RESOLUTION_MS = 10

const round2 = (x: number) => Math.round(x * 100) / 100

export class GeneratorMonitor {
  private readonly histogram: IntervalHistogram
  private lastCpu: NodeJS.CpuUsage
  private lastAt: bigint

  constructor() {
    this.histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
    this.histogram.enable()
    this.lastCpu = process.cpuUsage()
    this.lastAt = process.hrtime.bigint()
  }

  /** Health over the interval since the last sample; resets the interval. */
  sample(inFlight: number): GeneratorHealth {
    const now = process.hrtime.bigint()
    const cpu = process.cpuUsage(this.lastCpu)
    const elapsedUs = Number(now - this.lastAt) / 1000
    this.lastCpu = process.cpuUsage()
    this.lastAt = now
    const h = this.histogram
    const lagMs = h.count > 0 ? Math.max(0, h.percentile(99) / 1e6 - RESOLUTION_MS) : 0
    h.reset()
    return {
      eventLoopLagMsP99: round2(lagMs),
      cpuPct: elapsedUs > 0 ? round2(((cpu.user + cpu.system) / elapsedUs) * 100) : 0,
      rssMb: round2(process.memoryUsage.rss() / 1_048_576),
      inFlight,
    }
  }

  close(): void {
    this.histogram.disable()
  }
}
