import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { DownstreamSimulator } from './downstream.js'
import type { PatientStore } from './patients.js'
import type { WorkerPool } from './pool.js'

/**
 * The stand-in's Prometheus metrics, in a registry of its own (never prom-client's global one, so
 * several stand-ins can live in one process). Per request: one counter increment and one histogram
 * observation with a cached label object; pool and downstream figures are read when scraped.
 */

/** Endpoint label of travel claims and of anything that matched no route. */
export const TRAVEL_CLAIM_LABEL = 'travel_claim'
export const OTHER_LABEL = 'other'

export const REQUEST_BUCKETS_S = [
  0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30,
]
export const POOL_WAIT_BUCKETS_S = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

type RequestLabels = { endpoint: string; method: string; status: string }

/** The label sets of one route (endpoint x method), one per status seen. */
export class RouteLabels {
  readonly endpoint: string
  readonly method: string
  private readonly byStatus = new Map<number, RequestLabels>()

  constructor(endpoint: string, method: string) {
    this.endpoint = endpoint
    this.method = method
  }

  forStatus(status: number): RequestLabels {
    let labels = this.byStatus.get(status)
    if (labels === undefined) {
      labels = { endpoint: this.endpoint, method: this.method, status: String(status) }
      this.byStatus.set(status, labels)
    }
    return labels
  }
}

export interface MockMetricsSources {
  readonly pool: WorkerPool
  readonly downstream: DownstreamSimulator
  readonly patients: PatientStore
}

export class MockMetrics {
  readonly registry: Registry
  private readonly requests: Counter<'endpoint' | 'method' | 'status'>
  private readonly duration: Histogram<'endpoint' | 'method' | 'status'>
  private readonly poolWait: Histogram
  private readonly routes = new Map<string, RouteLabels>()

  constructor(sources: MockMetricsSources) {
    const registry = new Registry()
    const registers = [registry]
    const { pool, downstream, patients } = sources
    this.registry = registry
    this.requests = new Counter({
      name: 'checkin_mock_requests_total',
      help: 'Requests answered by the stand-in, by endpoint id, method and status',
      labelNames: ['endpoint', 'method', 'status'],
      registers,
    })
    this.duration = new Histogram({
      name: 'checkin_mock_request_duration_seconds',
      help: 'Time from the handler receiving a request to its answer, pool wait and downstream delays included',
      labelNames: ['endpoint', 'method', 'status'],
      buckets: REQUEST_BUCKETS_S,
      registers,
    })
    this.poolWait = new Histogram({
      name: 'checkin_mock_pool_wait_seconds',
      help: 'Time a request waited in the backlog for a free worker',
      buckets: POOL_WAIT_BUCKETS_S,
      registers,
    })
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
      labels = new RouteLabels(endpoint, method)
      this.routes.set(key, labels)
    }
    return labels
  }

  /** One answered request. */
  observeRequest(route: RouteLabels, status: number, seconds: number): void {
    const labels = route.forStatus(status)
    this.requests.inc(labels)
    this.duration.observe(labels, seconds)
  }

  observePoolWait(seconds: number): void {
    this.poolWait.observe(seconds)
  }

  /** The exposition text and its content type. */
  async exposition(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() }
  }
}
