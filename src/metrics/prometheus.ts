import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Counter, Gauge, type Metric, Registry } from 'prom-client'
import { UsageError } from '../errors.js'
import type { SeriesSecond, Shard, ThresholdResult } from '../model/results.js'
import type { LiveExporter, SecondContext } from './exporters.js'
import { type HistogramField, type RecordedValues, recordedValues, requestsByStatus } from './second-view.js'

/**
 * Prometheus exposition of a run (DESIGN.md §5): `checkin_load_*` metrics, seconds as the unit,
 * served by node:http at /metrics. The metrics are filled once a second from the engine's
 * SeriesSecond line, never per request: counters add the second's counts, gauges take the second's
 * values, and the latency histograms add the second's HDR histograms bin by bin (exact counts; the
 * sum is exact to HDR's 0.1 %). Every series carries the constant labels run_id and shard (the
 * registry's default labels) and the run's `--tag key:value` pairs.
 */

/**
 * Latency buckets (s), dense where check-in requests live and at the default SLOs (p95 < 1, 2,
 * 3, 3.5, 6, 6.5, 7.5 s, p99 < 10 s) so that `histogram_quantile` lands close and an SLO line falls
 * on a bucket boundary. Adjacent bounds are at most 2.5x apart (x1.5 from 5 ms up).
 */
export const LATENCY_BUCKETS_S: readonly number[] = [
  0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5,
  2, 2.5, 3, 3.5, 4, 5, 6, 6.5, 7.5, 10, 15, 20, 30,
]
/** Send lag (s): a healthy generator sends within a millisecond; seconds mean it is saturated. */
export const SEND_LAG_BUCKETS_S: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
]

/** Label names the exporter uses itself: a `--tag` key may not take one. */
export const RESERVED_LABELS: ReadonlySet<string> = new Set([
  'run_id',
  'shard',
  'endpoint',
  'method',
  'status',
  'kind',
  'threshold',
  'target',
  'shards',
  'le',
])

type Labels = Record<string, string>

/** One label set of a HdrHistogramMetric: per-bucket (not cumulative) counts, the last for +Inf. */
interface HistogramSeries {
  readonly labels: Labels
  readonly counts: Float64Array
  sumUs: number
  count: number
}

/**
 * A Prometheus histogram fed with whole HDR histograms. prom-client's Histogram takes one
 * observation at a time (`observe(labels, value)`), which would cost one call per request; this
 * keeps the bucket counts itself and renders them in the shape prom-client's Registry formats
 * (`get()` returning `_bucket`/`_sum`/`_count` values), so it sits in the same registry with the
 * same default labels. Adding a second costs O(distinct values + buckets).
 */
export class HdrHistogramMetric {
  readonly name: string
  readonly help: string
  readonly type = 'histogram' as const
  readonly aggregator = 'sum' as const
  private readonly bucketsS: readonly number[]
  /** the upper bounds in µs, to compare with HDR values */
  private readonly boundsUs: Float64Array
  private readonly series = new Map<string, HistogramSeries>()

  constructor(options: { name: string; help: string; buckets: readonly number[]; registry: Registry }) {
    this.name = options.name
    this.help = options.help
    this.bucketsS = options.buckets
    this.boundsUs = Float64Array.from(options.buckets, (s) => Math.round(s * 1e6))
    // The Registry reads metrics through get()/reset() only (prom-client 15, lib/registry.js).
    options.registry.registerMetric(this as unknown as Metric)
  }

  /** The series of a label set, created empty (so rate() sees it from its first scrape). */
  seriesFor(labels: Labels): HistogramSeries {
    const key = JSON.stringify(labels)
    let series = this.series.get(key)
    if (series === undefined) {
      series = { labels, counts: new Float64Array(this.boundsUs.length + 1), sumUs: 0, count: 0 }
      this.series.set(key, series)
    }
    return series
  }

  /** Adds a second's distinct values (ascending) into a series. */
  add(series: HistogramSeries, values: RecordedValues): void {
    const { lowUs, counts } = values
    const bounds = this.boundsUs
    const n = bounds.length
    let b = 0
    for (let i = 0; i < lowUs.length; i++) {
      const v = lowUs[i]!
      while (b < n && v > bounds[b]!) b++
      series.counts[b]! += counts[i]!
    }
    series.sumUs += values.sumUs
    series.count += values.totalCount
  }

  async get() {
    const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = []
    for (const series of this.series.values()) {
      let cumulative = 0
      for (let b = 0; b < this.bucketsS.length; b++) {
        cumulative += series.counts[b]!
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { ...series.labels, le: this.bucketsS[b]! },
          value: cumulative,
        })
      }
      cumulative += series.counts[this.bucketsS.length]!
      values.push({
        metricName: `${this.name}_bucket`,
        labels: { ...series.labels, le: '+Inf' },
        value: cumulative,
      })
      values.push({ metricName: `${this.name}_sum`, labels: series.labels, value: series.sumUs / 1e6 })
      values.push({ metricName: `${this.name}_count`, labels: series.labels, value: series.count })
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values }
  }

  reset(): void {
    this.series.clear()
  }
}

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
      help: 'Share of the profile asked at the end of the last second (1 = the full profile; --scale included)',
      registers,
    })
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

/** The target as a label: scheme, host and path only (never credentials or a query). */
export function safeTarget(target: string | undefined): string {
  if (target === undefined) return ''
  try {
    const url = new URL(target)
    return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`
  } catch {
    return ''
  }
}

/** `http_req_duration{endpoint:post_session} p(95)<500`: the threshold as the user wrote it. */
export function thresholdLabel(result: Pick<ThresholdResult, 'metric' | 'expr'>): string {
  return `${result.metric} ${result.expr}`
}

/**
 * Constant labels from `--tag key:value` (DogStatsD's tag syntax): the key becomes a label name
 * (characters outside [A-Za-z0-9_] turn into `_`), a tag without a value gets "true". A key that
 * the exporter uses itself, or given twice, is a usage error.
 */
export function promLabelsFromTags(tags: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {}
  for (const tag of tags) {
    const colon = tag.indexOf(':')
    const rawKey = (colon < 0 ? tag : tag.slice(0, colon)).trim()
    const value = colon < 0 ? 'true' : tag.slice(colon + 1)
    let key = rawKey.replace(/[^A-Za-z0-9_]/g, '_')
    if (/^[0-9]/.test(key)) key = `_${key}`
    if (key === '' || key.startsWith('__'))
      throw new UsageError(`--tag "${tag}": the key must be a name, like env:staging`)
    if (RESERVED_LABELS.has(key))
      throw new UsageError(`--tag "${tag}": "${key}" is a label of checkin-load's own`)
    if (key in labels) throw new UsageError(`--tag "${tag}": "${key}" is given twice`)
    labels[key] = value
  }
  return labels
}

export interface PrometheusExporterOptions extends PrometheusMetricsOptions {
  /** interface to listen on (default 127.0.0.1) */
  readonly host: string
  /** 0: a free port */
  readonly port: number
  /** keep serving this long after the run, so the last scrape sees the end */
  readonly lingerMs: number
}

/** The Prometheus exporter: the metrics and a node:http server answering GET /metrics (404 otherwise). */
export class PrometheusExporter implements LiveExporter {
  readonly name = 'prometheus'
  readonly metrics: PrometheusMetrics
  /** http://host:port/metrics, with the port actually bound */
  readonly url: string
  private readonly server: Server
  private readonly lingerMs: number
  private closing: Promise<void> | undefined

  private constructor(metrics: PrometheusMetrics, server: Server, url: string, lingerMs: number) {
    this.metrics = metrics
    this.server = server
    this.url = url
    this.lingerMs = lingerMs
  }

  static async start(options: PrometheusExporterOptions): Promise<PrometheusExporter> {
    const metrics = new PrometheusMetrics(options)
    const server = createServer((req, res) => serve(metrics, req, res))
    server.keepAliveTimeout = 10_000
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(listenError(error, options.host, options.port)),
      )
      server.listen(options.port, options.host, () => resolve())
    })
    const { port } = server.address() as AddressInfo
    const host = options.host.includes(':') ? `[${options.host}]` : options.host
    return new PrometheusExporter(metrics, server, `http://${host}:${port}/metrics`, options.lingerMs)
  }

  onSecond(second: SeriesSecond, context: SecondContext): void {
    this.metrics.onSecond(second, context)
  }

  onThresholds(results: readonly ThresholdResult[]): void {
    this.metrics.onThresholds(results)
  }

  /** Serves lingerMs more, then stops; idempotent. */
  close(options: { linger?: boolean } = {}): Promise<void> {
    this.closing ??= (async () => {
      if (options.linger !== false && this.lingerMs > 0)
        await new Promise((r) => setTimeout(r, this.lingerMs))
      await new Promise<void>((resolve) => {
        this.server.close(() => resolve())
        this.server.closeAllConnections()
      })
    })()
    return this.closing
  }
}

function serve(metrics: PrometheusMetrics, req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0]
  if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
    res.end('not found: checkin-load serves /metrics only\n')
    return
  }
  metrics.metrics().then(
    (text) => {
      res.writeHead(200, { 'content-type': metrics.registry.contentType })
      res.end(req.method === 'HEAD' ? undefined : text)
    },
    (error: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
      res.end(`${String(error)}\n`)
    },
  )
}

function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  const where = `--prometheus-port ${port} on ${host}`
  if (error.code === 'EADDRINUSE')
    return new UsageError(`${where}: the port is in use; pick another or 0 for a free one`)
  if (error.code === 'EACCES') return new UsageError(`${where}: permission denied; use a port above 1023`)
  if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND')
    return new UsageError(`${where}: no such local address (see --prometheus-host)`)
  return error
}
