import { Counter, Gauge, type Metric, Registry } from 'prom-client'
import type { DownstreamSimulator } from './downstream.js'
import type { PatientStore } from './patients.js'
import type { WorkerPool } from './pool.js'

/**
 * The stand-in's Prometheus metrics, in a registry of its own (never prom-client's global one, so
 * several stand-ins can live in one process). Per request: one observation into a series the route
 * holds (fixed arrays, nothing hashed); counters, pool and downstream figures are read when scraped.
 */

/** Endpoint label of travel claims and of anything that matched no route. */
export const TRAVEL_CLAIM_LABEL = 'travel_claim'
export const OTHER_LABEL = 'other'

export const REQUEST_BUCKETS_S = [
  0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30,
]
export const POOL_WAIT_BUCKETS_S = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

type RequestLabels = { endpoint: string; method: string; status: string }

/**
 * One labelled series of a FoldedHistogram: bucket counts (not cumulative), sum and count.
 * The hot path holds it and calls `observe`; nothing is hashed or allocated per observation.
 */
export class HistogramSeries {
  readonly labels: Readonly<Record<string, string>>
  readonly bounds: readonly number[]
  readonly buckets: Float64Array
  sum = 0
  count = 0

  constructor(labels: Readonly<Record<string, string>>, bounds: readonly number[]) {
    this.labels = labels
    this.bounds = bounds
    this.buckets = new Float64Array(bounds.length)
  }

  observe(value: number): void {
    const bounds = this.bounds
    let i = 0
    while (i < bounds.length && value > bounds[i]!) i++
    if (i < bounds.length) this.buckets[i]! += 1
    this.sum += value
    this.count++
  }
}

type ExportedValue = { labels: Record<string, string | number>; value: number; metricName?: string }

/**
 * A histogram (and, from the same series, a counter) folded into fixed arrays on the hot path and
 * read by the registry when scraped: prom-client's own Histogram hashes its labels on every
 * observation, which costs more than the rest of a fast request's bookkeeping. Registered in the
 * same prom-client Registry; `get()` gives the value shapes prom-client's Histogram gives.
 */
export class FoldedHistogram {
  readonly name: string
  readonly help: string
  readonly type = 'histogram'
  readonly aggregator = 'sum'
  readonly bounds: readonly number[]
  private readonly series: HistogramSeries[] = []

  constructor(name: string, help: string, bounds: readonly number[]) {
    this.name = name
    this.help = help
    this.bounds = bounds
  }

  /** A new series (call once per label set and keep it). */
  newSeries(labels: Readonly<Record<string, string>>): HistogramSeries {
    const series = new HistogramSeries(labels, this.bounds)
    this.series.push(series)
    return series
  }

  async get() {
    const values: ExportedValue[] = []
    for (const series of this.series) {
      if (series.count === 0) continue
      let cumulative = 0
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += series.buckets[i]!
        values.push({
          labels: { le: this.bounds[i]!, ...series.labels },
          value: cumulative,
          metricName: `${this.name}_bucket`,
        })
      }
      values.push({
        labels: { le: '+Inf', ...series.labels },
        value: series.count,
        metricName: `${this.name}_bucket`,
      })
      values.push({ labels: { ...series.labels }, value: series.sum, metricName: `${this.name}_sum` })
      values.push({ labels: { ...series.labels }, value: series.count, metricName: `${this.name}_count` })
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values }
  }

  reset(): void {
    for (const series of this.series) {
      series.buckets.fill(0)
      series.sum = 0
      series.count = 0
    }
  }
}

/** One route's series for one status: the request counter and duration histogram read from it. */
export class RequestSeries {
  readonly labels: RequestLabels
  readonly duration: HistogramSeries

  constructor(labels: RequestLabels, duration: HistogramSeries) {
    this.labels = labels
    this.duration = duration
  }
}

/** The series of one route (endpoint x method), one per status seen. */
export class RouteLabels {
  readonly endpoint: string
  readonly method: string
  private readonly byStatus = new Map<number, RequestSeries>()
  private readonly histogram: FoldedHistogram

  constructor(endpoint: string, method: string, histogram: FoldedHistogram) {
    this.endpoint = endpoint
    this.method = method
    this.histogram = histogram
  }

  forStatus(status: number): RequestSeries {
    let series = this.byStatus.get(status)
    if (series === undefined) {
      const labels = { endpoint: this.endpoint, method: this.method, status: String(status) }
      series = new RequestSeries(labels, this.histogram.newSeries(labels))
      this.byStatus.set(status, series)
    }
    return series
  }

  /** every series of this route */
  all(): IterableIterator<RequestSeries> {
    return this.byStatus.values()
  }
}

export interface MockMetricsSources {
  readonly pool: WorkerPool
  readonly downstream: DownstreamSimulator
  readonly patients: PatientStore
}

export class MockMetrics {
  readonly registry: Registry
  private readonly duration: FoldedHistogram
  private readonly poolWait: HistogramSeries
  private readonly routes = new Map<string, RouteLabels>()

  constructor(sources: MockMetricsSources) {
    const registry = new Registry()
    const registers = [registry]
    const { pool, downstream, patients } = sources
    this.registry = registry
    const routes = this.routes
    new Counter({
      name: 'checkin_mock_requests_total',
      help: 'Requests answered by the stand-in, by endpoint id, method and status',
      labelNames: ['endpoint', 'method', 'status'],
      registers,
      collect() {
        this.reset()
        for (const route of routes.values())
          for (const series of route.all()) this.inc(series.labels, series.duration.count)
      },
    })
    this.duration = new FoldedHistogram(
      'checkin_mock_request_duration_seconds',
      'Time from the handler receiving a request to its answer, pool wait and downstream delays included',
      REQUEST_BUCKETS_S,
    )
    registerFolded(registry, this.duration)
    const poolWait = new FoldedHistogram(
      'checkin_mock_pool_wait_seconds',
      'Time a request waited in the backlog for a free worker',
      POOL_WAIT_BUCKETS_S,
    )
    registerFolded(registry, poolWait)
    this.poolWait = poolWait.newSeries({})
    new Gauge({
      name: 'checkin_mock_pool_workers',
      help: 'Size of the worker pool (Puma threads x instances)',
      registers,
      collect() {
        this.set(pool.size)
      },
    })
    new Gauge({
      name: 'checkin_mock_pool_busy_workers',
      help: 'Workers held by a request right now',
      registers,
      collect() {
        this.set(pool.busy)
      },
    })
    new Gauge({
      name: 'checkin_mock_pool_backlog',
      help: 'Requests waiting for a free worker right now',
      registers,
      collect() {
        this.set(pool.backlog)
      },
    })
    new Counter({
      name: 'checkin_mock_pool_busy_seconds_total',
      help: 'Worker-seconds held by requests; its rate is the mean number of busy workers',
      registers,
      collect() {
        this.reset()
        this.inc(pool.busyWorkerMs() / 1000)
      },
    })
    new Counter({
      name: 'checkin_mock_downstream_calls_total',
      help: 'Mocked downstream calls made, by call and outcome (ok, error = injected fault, denied = LoROTA 401)',
      labelNames: ['call', 'outcome'],
      registers,
      collect() {
        this.reset()
        for (const { call, outcome, count } of downstream.callCounts()) this.inc({ call, outcome }, count)
      },
    })
    new Gauge({
      name: 'checkin_mock_patients',
      help: 'Per-uuid entries held (sessions, retry counters, cached identifiers)',
      registers,
      collect() {
        this.set(patients.size)
      },
    })
  }

  /** The cached label sets of a route; call once per route at start. */
  route(endpoint: string, method: string): RouteLabels {
    const key = `${endpoint} ${method}`
    let labels = this.routes.get(key)
    if (labels === undefined) {
      labels = new RouteLabels(endpoint, method, this.duration)
      this.routes.set(key, labels)
    }
    return labels
  }

  /** One answered request. */
  observeRequest(route: RouteLabels, status: number, seconds: number): void {
    route.forStatus(status).duration.observe(seconds)
  }

  observePoolWait(seconds: number): void {
    this.poolWait.observe(seconds)
  }

  /** The exposition text and its content type. */
  async exposition(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() }
  }
}

/**
 * Puts a FoldedHistogram in a prom-client registry. The registry only calls `get()` (and `reset()`)
 * of its metrics, which FoldedHistogram provides with prom-client's shapes; the cast is because
 * prom-client types its registry's members as its own four classes.
 */
function registerFolded(registry: Registry, histogram: FoldedHistogram): void {
  registry.registerMetric(histogram as unknown as Metric)
}
