import { ResultsError } from '../errors.js'
import { encodeHistogram, mergeEncoded } from '../model/histogram.js'
import type { IntervalStats, SeriesHeader, SeriesSecond, Shard } from '../model/results.js'

/**
 * Exact merging of shard results: counts add, HDR histograms add. Shards of one run share a
 * run id and a start time (--start-at), so their seconds line up; when their start times differ
 * (shards started by hand), seconds are aligned by wall clock to the nearest second.
 */
export function addCounts<K extends string>(
  a: Partial<Record<K, number>>,
  b: Partial<Record<K, number>>,
): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = { ...a }
  for (const key of Object.keys(b) as K[]) out[key] = (out[key] ?? 0) + (b[key] ?? 0)
  return out
}

export function mergeIntervals(intervals: readonly IntervalStats[]): IntervalStats {
  let asked = 0
  let requests = 0
  let ok = 0
  let dropped = 0
  let errors: IntervalStats['errors'] = {}
  let status: IntervalStats['status'] = {}
  for (const i of intervals) {
    asked += i.asked
    requests += i.requests
    ok += i.ok
    dropped += i.dropped
    errors = addCounts(errors, i.errors)
    status = addCounts(status, i.status) as IntervalStats['status']
  }
  return {
    asked,
    requests,
    ok,
    dropped,
    errors,
    status,
    latency: encodeHistogram(mergeEncoded(intervals.map((i) => i.latency))),
    latencyFromSend: encodeHistogram(mergeEncoded(intervals.map((i) => i.latencyFromSend))),
    sendLag: encodeHistogram(mergeEncoded(intervals.map((i) => i.sendLag))),
    ...mergedMinMax(intervals),
  }
}

/** The shards' exact extremes: the lowest min and highest max; absent when a shard lacks them. */
function mergedMinMax(intervals: readonly IntervalStats[]): Pick<IntervalStats, 'minMaxUs'> {
  const out: NonNullable<IntervalStats['minMaxUs']> = {}
  for (const field of ['latency', 'latencyFromSend', 'sendLag'] as const) {
    const withValues = intervals.filter((i) => i[field] !== '')
    const pairs = withValues.flatMap((i) => (i.minMaxUs?.[field] ? [i.minMaxUs[field]] : []))
    if (pairs.length === 0 || pairs.length < withValues.length) continue
    out[field] = [Math.min(...pairs.map((p) => p[0])), Math.max(...pairs.map((p) => p[1]))]
  }
  return Object.keys(out).length > 0 ? { minMaxUs: out } : {}
}

/** One second of the whole run from the same second of every shard that has it. */
export function mergeSeconds(t: number, seconds: readonly SeriesSecond[]): SeriesSecond {
  const endpointIds = [...new Set(seconds.flatMap((s) => Object.keys(s.endpoints)))]
  return {
    type: 'second',
    t,
    share: Math.max(...seconds.map((s) => s.share)),
    endpoints: Object.fromEntries(
      endpointIds.map((id) => [id, mergeIntervals(seconds.flatMap((s) => s.endpoints[id] ?? []))]),
    ),
    generator: {
      // the worst shard decides whether the merged timing can be trusted
      eventLoopLagMsP99: Math.max(...seconds.map((s) => s.generator.eventLoopLagMsP99)),
      cpuPct: Math.max(...seconds.map((s) => s.generator.cpuPct)),
      rssMb: seconds.reduce((sum, s) => sum + s.generator.rssMb, 0),
      inFlight: seconds.reduce((sum, s) => sum + s.generator.inFlight, 0),
    },
  }
}

/** Checks that the headers are shards of one run, each once; returns the merged header. */
export function mergeHeaders(headers: readonly SeriesHeader[], sources: readonly string[]): SeriesHeader {
  const first = headers[0]
  if (!first) throw new ResultsError('merge needs at least one run folder')
  const seen = new Map<number, string>()
  headers.forEach((header, i) => {
    if (header.runId !== first.runId) {
      throw new ResultsError(
        `${sources[i]} is run "${header.runId}", ${sources[0]} is run "${first.runId}": merge only shards of one run (shards started with one --start-at and the same flags share a run id; else give every shard the same --run-id)`,
      )
    }
    if (!header.shard) {
      throw new ResultsError(
        `${sources[i]} is not a shard (it was run without --shard): nothing to merge it with`,
      )
    }
    if (header.shard.count !== first.shard?.count) {
      throw new ResultsError(
        `${sources[i]} is shard ${header.shard.index}/${header.shard.count}, ${sources[0]} is of ${first.shard?.count}`,
      )
    }
    const twin = seen.get(header.shard.index)
    if (twin !== undefined) {
      throw new ResultsError(
        `${sources[i]} and ${twin} are both shard ${header.shard.index}/${header.shard.count}: overlapping shards`,
      )
    }
    seen.set(header.shard.index, sources[i]!)
  })
  const startedAtMs = Math.min(...headers.map((h) => h.startedAtMs))
  const { shard: _shard, ...rest } = first
  const { shard: _configShard, ...config } = first.config
  return {
    ...rest,
    startedAtMs,
    startedAt: new Date(startedAtMs).toISOString(),
    shards: headers.map((h) => h.shard!).sort((a, b) => a.index - b.index),
    config,
    endpoints: [...new Set(headers.flatMap((h) => h.endpoints))],
  }
}

/** The shards of a run that are not among `shards` (all of one count, as mergeHeaders checked). */
export function missingShards(shards: readonly Shard[]): Shard[] {
  const count = shards[0]?.count ?? 0
  const present = new Set(shards.map((s) => s.index))
  return Array.from({ length: count }, (_, index) => ({ index, count })).filter((s) => !present.has(s.index))
}

/** Offset (in whole seconds) of a shard's second 0 from the merged run's second 0. */
export function secondOffset(header: SeriesHeader, mergedStartMs: number): number {
  return Math.round((header.startedAtMs - mergedStartMs) / 1000)
}
