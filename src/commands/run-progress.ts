import type { SeriesSecond } from '../model/results.js'
import type { SummaryBuilder } from '../report/index.js'
import type { LiveEndpoint, RunProgress } from './run-types.js'

/** The live view of a run after each second: this second's rates, the totals and p95 so far. */
export function progress(
  run: {
    readonly runId: string
    readonly runDir: string
    readonly target: string
    readonly plannedMs: number
  },
  endpointIds: readonly string[],
  second: SeriesSecond,
  summary: SummaryBuilder,
  draining: boolean,
): RunProgress {
  let askedRps = 0
  let achievedRps = 0
  const endpoints: LiveEndpoint[] = []
  for (const id of endpointIds) {
    const stats = second.endpoints[id]!
    askedRps += stats.asked
    achievedRps += stats.requests
    const counts = summary.counts(id)
    const histogram = summary.histogram(id, 'latency')
    endpoints.push({
      endpoint: id,
      askedRps: stats.asked,
      achievedRps: stats.requests,
      requests: counts?.requests ?? 0,
      errors: counts ? counts.requests - counts.ok : 0,
      dropped: counts?.dropped ?? 0,
      p95Ms: histogram && histogram.totalCount > 0 ? histogram.getValueAtPercentile(95) / 1000 : 0,
    })
  }
  return {
    runId: run.runId,
    runDir: run.runDir,
    target: run.target,
    elapsedS: second.t + 1,
    plannedS: run.plannedMs / 1000,
    draining,
    share: second.share,
    askedRps,
    achievedRps,
    endpoints,
    generator: second.generator,
    second,
  }
}
