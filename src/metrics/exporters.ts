import type { RunConfig } from '../config/schema.js'
import type { Shard } from '../model/results.js'
import type { ExporterFlow, LiveExporter, SecondContext } from './exporter-types.js'
import type { RunObserver } from './observer.js'
import { promLabelsFromTags } from './prometheus-labels.js'

export type { ExporterFlow, LiveExporter, SecondContext } from './exporter-types.js'

/**
 * Live exporters: Prometheus exposition and DogStatsD (docs/monitoring.md). They observe the
 * per-second snapshots the engine already makes (SeriesSecond lines), so they cost nothing on the
 * request hot path: per second, a few counter additions per endpoint and one pass over each
 * histogram's distinct values.
 *
 * Wiring in a run:
 *   const exporters = await startExporters(config, { runId, shard, target, endpoints, methods, flows })
 *   observers.push(exportersObserver(exporters, { rpsAtShare1 }))   // a RunObserver
 *   ... at the end: for (const e of exporters) e.onThresholds?.(summary.thresholds)
 *   then the observer's close() (or closeExporters) flushes DogStatsD and keeps /metrics up
 *   prometheusLingerMs before it stops.
 */

export interface ExporterRun {
  readonly runId: string
  readonly shard?: Shard | undefined
  /** the target's base URL (checkin_load_run_info) */
  readonly target?: string | undefined
  /** endpoint ids in the profile's order */
  readonly endpoints: readonly string[]
  /** HTTP method of each endpoint */
  readonly methods: Readonly<Record<string, string>>
  readonly flows?: readonly ExporterFlow[] | undefined
  /** told once when DogStatsD cannot send (the run goes on) */
  readonly onWarning?: ((message: string) => void) | undefined
}

export type ExporterConfig = Pick<
  RunConfig,
  'prometheusPort' | 'prometheusHost' | 'prometheusLingerMs' | 'dogstatsd' | 'tags'
>

/**
 * Starts the exporters the config asks for (none: an empty list): Prometheus when
 * prometheusPort is set, DogStatsD when dogstatsd is. Throws UsageError for a bad tag, a bad
 * DogStatsD address or a Prometheus port in use (and then stops what it had started).
 */
export async function startExporters(config: ExporterConfig, run: ExporterRun): Promise<LiveExporter[]> {
  // loaded only when asked for: prom-client and hot-shots cost a run that does not use them ~0.2 CPU-s to load
  const prometheus = config.prometheusPort === undefined ? undefined : await import('./prometheus-server.js')
  const { DogStatsdExporter } = config.dogstatsd === undefined ? {} : await import('./dogstatsd.js')
  const labels = prometheus === undefined ? {} : promLabelsFromTags(config.tags)
  const dogstatsd =
    DogStatsdExporter === undefined || config.dogstatsd === undefined
      ? undefined
      : new DogStatsdExporter({
          address: config.dogstatsd,
          runId: run.runId,
          shard: run.shard,
          tags: config.tags,
          endpoints: run.endpoints,
          methods: run.methods,
          flows: run.flows,
          onError: (error) =>
            run.onWarning?.(`DogStatsD: ${error.message} (metrics are lost; the run goes on)`),
        })
  const exporters: LiveExporter[] = []
  if (prometheus !== undefined && config.prometheusPort !== undefined) {
    try {
      exporters.push(
        await prometheus.PrometheusExporter.start({
          host: config.prometheusHost,
          port: config.prometheusPort,
          lingerMs: config.prometheusLingerMs,
          runId: run.runId,
          shard: run.shard,
          target: run.target,
          endpoints: run.endpoints,
          methods: run.methods,
          labels,
        }),
      )
    } catch (error) {
      await dogstatsd?.close()
      throw error
    }
  }
  if (dogstatsd) exporters.push(dogstatsd)
  return exporters
}

/**
 * The rate each endpoint is asked at the end of a second: its rate at share 1 (the profile at
 * scale 1, split among shards) times the second's share.
 */
export function expectedRpsAt(
  rpsAtShare1: Readonly<Record<string, number>>,
  share: number,
): Record<string, number> {
  const out: Record<string, number> = {}
  for (const id in rpsAtShare1) out[id] = Math.round(rpsAtShare1[id]! * share * 1000) / 1000
  return out
}

/**
 * The exporters as one RunObserver: each second goes to every exporter with the asked rates;
 * close() closes them all (Prometheus lingers). `rpsAtShare1`: per endpoint, req/s of this shard
 * at share 1 (e.g. deriveRates(profile, 1).endpoints[i].rps / shard count).
 */
export function exportersObserver(
  exporters: readonly LiveExporter[],
  options: { rpsAtShare1: Readonly<Record<string, number>> },
): RunObserver {
  return {
    onSecond(second) {
      const context: SecondContext = { expectedRps: expectedRpsAt(options.rpsAtShare1, second.share) }
      for (const exporter of exporters) exporter.onSecond(second, context)
    },
    close: () => closeExporters(exporters),
  }
}

/** Closes every exporter, all at once (Prometheus's linger overlaps DogStatsD's flush). */
export async function closeExporters(exporters: readonly LiveExporter[]): Promise<void> {
  const results = await Promise.allSettled(exporters.map((e) => e.close()))
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed) throw failed.reason
}
