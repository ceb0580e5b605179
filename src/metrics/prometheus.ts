import { Counter, Gauge, Registry } from 'prom-client'
import type { SeriesSecond, Shard, ThresholdResult } from '../model/results.js'
import type { SecondContext } from './exporter-types.js'
import {
  HdrHistogramMetric,
  type HistogramSeries,
  LATENCY_BUCKETS_S,
  SEND_LAG_BUCKETS_S,
} from './prometheus-histogram.js'
import { safeTarget, thresholdLabel } from './prometheus-labels.js'
import { type HistogramField, recordedValues, requestsByStatus } from './second-view.js'

export { HdrHistogramMetric, LATENCY_BUCKETS_S, SEND_LAG_BUCKETS_S } from './prometheus-histogram.js'
export { promLabelsFromTags, RESERVED_LABELS, safeTarget, thresholdLabel } from './prometheus-labels.js'

/**
 * Prometheus exposition of a run (DESIGN.md §5): `checkin_load_*` metrics, seconds as the unit,
 * served by node:http at /metrics. The metrics are filled once a second from the engine's
 * SeriesSecond line, never per request: counters add the second's counts, gauges take the second's
 * values, and the latency histograms add the second's HDR histograms bin by bin (exact counts; the
 * sum is exact to HDR's 0.1 %). Every series carries the constant labels run_id and shard (the
 * registry's default labels) and the run's `--tag key:value` pairs.
 *
 * This file: the registry and its per-second update. The histogram family is in
 * prometheus-histogram.ts, the labels in prometheus-labels.ts, the HTTP server (PrometheusExporter)
 * in prometheus-server.ts.
 */

export interface PrometheusMetricsOptions {
  readonly runId: string
  readonly shard?: Shard | undefined
  /** the target's base URL, for checkin_load_run_info */
  readonly target?: string | undefined
  /** endpoint ids, in the profile's order */
  readonly endpoints: readonly string[]
  /** HTTP method of each endpoint */
  readonly methods: Readonly<Record<string, string>>
  /** extra constant labels (from `--tag key:value`), already checked by promLabelsFromTags */
  readonly labels?: Readonly<Record<string, string>>
}

interface EndpointSeries {
  readonly id: string
  readonly method: string
  readonly latency: HistogramSeries
  readonly fromSend: HistogramSeries
  readonly sendLag: HistogramSeries
}

/**
 * The registry and its metrics, without the HTTP server: fed by onSecond/onThresholds, read by
 * `metrics()`. See docs/monitoring.md for the catalog.
 */
export class PrometheusMetrics {
  readonly registry: Registry
  private readonly requests: Counter<'endpoint' | 'method' | 'status'>
  private readonly errors: Counter<'endpoint' | 'kind'>
  private readonly dropped: Counter<'endpoint'>
  private readonly asked: Counter<'endpoint'>
  private readonly inFlight: Gauge
  private readonly askedRps: Gauge<'endpoint'>
  private readonly achievedRps: Gauge<'endpoint'>
  private readonly share: Gauge
  private readonly userScale: Gauge
  private readonly eventLoopLag: Gauge
  private readonly cpu: Gauge
  private readonly rss: Gauge
  private readonly thresholdOk: Gauge<'threshold'>
  private readonly endpoints: EndpointSeries[]
  private readonly byId = new Map<string, EndpointSeries>()
  private readonly latency: HdrHistogramMetric
  private readonly fromSend: HdrHistogramMetric
  private readonly sendLag: HdrHistogramMetric

  constructor(options: PrometheusMetricsOptions) {
    const registry = new Registry()
    const registers = [registry]
    this.registry = registry
    const shard = options.shard
    registry.setDefaultLabels({
      ...options.labels,
      run_id: options.runId,
      shard: String(shard?.index ?? 0),
    })
    this.requests = new Counter({
      name: 'checkin_load_requests_total',
      help: 'Completed requests (answered or failed), by endpoint, method and status: the HTTP status, or the error kind of a transport failure',
      labelNames: ['endpoint', 'method', 'status'],
      registers,
    })
    this.errors = new Counter({
      name: 'checkin_load_errors_total',
      help: 'Failed requests by endpoint and error kind (http_4xx, http_5xx, timeout, reset, connect_refused, ...)',
      labelNames: ['endpoint', 'kind'],
      registers,
    })
    this.dropped = new Counter({
      name: 'checkin_load_dropped_total',
      help: 'Requests never sent because the in-flight cap was full when their flow arrived',
      labelNames: ['endpoint'],
      registers,
    })
    this.asked = new Counter({
      name: 'checkin_load_asked_total',
      help: 'Requests the schedule asked for (sent + dropped)',
      labelNames: ['endpoint'],
      registers,
    })
    this.inFlight = new Gauge({
      name: 'checkin_load_in_flight',
      help: 'Flows in flight at the end of the last second',
      registers,
    })
    this.askedRps = new Gauge({
      name: 'checkin_load_asked_rps',
      help: 'Request rate the profile asks for at the current share (req/s)',
      labelNames: ['endpoint'],
      registers,
    })
    this.achievedRps = new Gauge({
      name: 'checkin_load_achieved_rps',
      help: 'Requests completed in the last second',
      labelNames: ['endpoint'],
      registers,
    })
    this.share = new Gauge({
      name: 'checkin_load_share',
      help: 'Share of the profile asked at the end of the last second (1 = the full profile; --scale and the user scale included)',
      registers,
    })
    this.userScale = new Gauge({
      name: 'checkin_load_user_scale',
      help: "The user scale set live (run --web, POST /api/control): it multiplies the stages' share; 0 while paused",
      registers,
    })
    this.userScale.set(1)
    this.eventLoopLag = new Gauge({
      name: 'checkin_load_event_loop_lag_p99_seconds',
      help: "The generator's event-loop lag p99 over the last second; above 0.01 its timing is not trustworthy",
      registers,
    })
    this.cpu = new Gauge({
      name: 'checkin_load_cpu_ratio',
      help: 'CPU used by the generator process over the last second, in cores (1 = one core busy)',
      registers,
    })
    this.rss = new Gauge({
      name: 'checkin_load_rss_bytes',
      help: 'Resident memory of the generator process',
      registers,
    })
    this.thresholdOk = new Gauge({
      name: 'checkin_load_threshold_ok',
      help: 'Threshold verdict: 1 passing, 0 failing (label: metric and condition, as written)',
      labelNames: ['threshold'],
      registers,
    })
    new Gauge({
      name: 'checkin_load_run_info',
      help: 'Always 1; labels describe the run',
      labelNames: ['target', 'shards'],
      registers,
    }).set({ target: safeTarget(options.target), shards: String(shard?.count ?? 1) }, 1)
    this.latency = new HdrHistogramMetric({
      name: 'checkin_load_request_duration_seconds',
      help: 'Request latency from the intended send time (coordinated-omission free), answered requests only',
      buckets: LATENCY_BUCKETS_S,
      registry,
    })
    this.fromSend = new HdrHistogramMetric({
      name: 'checkin_load_request_duration_from_send_seconds',
      help: 'Request latency from the actual send, answered requests only',
      buckets: LATENCY_BUCKETS_S,
      registry,
    })
    this.sendLag = new HdrHistogramMetric({
      name: 'checkin_load_send_lag_seconds',
      help: 'How late requests left: actual minus intended send time',
      buckets: SEND_LAG_BUCKETS_S,
      registry,
    })
    this.endpoints = options.endpoints.map((id) => this.endpointSeries(id, options.methods[id] ?? 'GET'))
  }

  private endpointSeries(id: string, method: string): EndpointSeries {
    const series: EndpointSeries = {
      id,
      method,
      latency: this.latency.seriesFor({ endpoint: id, method }),
      fromSend: this.fromSend.seriesFor({ endpoint: id, method }),
      sendLag: this.sendLag.seriesFor({ endpoint: id }),
    }
    // counters that every dashboard rates start at 0, so the first second is not lost to rate()
    this.dropped.inc({ endpoint: id }, 0)
    this.asked.inc({ endpoint: id }, 0)
    this.byId.set(id, series)
    return series
  }

  onSecond(second: SeriesSecond, context: SecondContext): void {
    for (const id in second.endpoints) {
      const stats = second.endpoints[id]!
      const endpoint = this.byId.get(id) ?? this.endpointSeries(id, 'GET')
      const { method } = endpoint
      for (const [status, count] of requestsByStatus(stats))
        this.requests.inc({ endpoint: id, method, status }, count)
      const errors = stats.errors as Readonly<Record<string, number>>
      for (const kind in errors) {
        const count = errors[kind]!
        if (count > 0) this.errors.inc({ endpoint: id, kind }, count)
      }
      if (stats.dropped > 0) this.dropped.inc({ endpoint: id }, stats.dropped)
      if (stats.asked > 0) this.asked.inc({ endpoint: id }, stats.asked)
      this.askedRps.set({ endpoint: id }, context.expectedRps[id] ?? stats.asked)
      this.achievedRps.set({ endpoint: id }, stats.requests)
      this.addHistogram(this.latency, endpoint.latency, stats, 'latency')
      this.addHistogram(this.fromSend, endpoint.fromSend, stats, 'latencyFromSend')
      this.addHistogram(this.sendLag, endpoint.sendLag, stats, 'sendLag')
    }
    const health = second.generator
    this.inFlight.set(health.inFlight)
    this.share.set(second.share)
    this.eventLoopLag.set(health.eventLoopLagMsP99 / 1000)
    this.cpu.set(health.cpuPct / 100)
    this.rss.set(Math.round(health.rssMb * 1_048_576))
  }

  private addHistogram(
    metric: HdrHistogramMetric,
    series: HistogramSeries,
    stats: SeriesSecond['endpoints'][string],
    field: HistogramField,
  ): void {
    if (stats[field] !== '') metric.add(series, recordedValues(stats, field))
  }

  /** The user scale now (0 while paused). */
  onUserScale(scale: number): void {
    this.userScale.set(scale)
  }

  onThresholds(results: readonly ThresholdResult[]): void {
    this.thresholdOk.reset()
    for (const result of results)
      this.thresholdOk.set({ threshold: thresholdLabel(result) }, result.ok ? 1 : 0)
  }

  /** The exposition text. */
  metrics(): Promise<string> {
    return this.registry.metrics()
  }
}
