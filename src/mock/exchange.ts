import type { FastifyReply, FastifyRequest } from 'fastify'
import {
  downstreamFailure,
  type ErrorAnswer,
  INTERNAL_ERROR,
  JSON_TYPE,
  SERVICE_UNAVAILABLE,
} from './contract.js'
import type { ChainPlan } from './downstream.js'
import { camelizeJsonKeys, INFLECTION_HEADER } from './inflection.js'
import type { RouteLabels } from './metrics.js'
import type { PoolWaiter } from './pool.js'
import type { DelayedTask } from './scheduler.js'
import type { StandIn } from './standin.js'

/**
 * The life of one request to a check-in route, apart from what the route decides: it waits for a
 * worker of the bounded pool (FIFO backlog, or 503 when the backlog is full), runs the route's
 * handler holding that worker, waits the downstream chain's total delay (one task on the shared
 * DelayScheduler) still holding it, answers, gives the worker back and is counted in /metrics.
 *
 * `S` is the route's own state: what its handler decided before the wait and its second half
 * needs after it (no closure per request).
 */
export type Handler<S> = (ex: Exchange<S>) => void

/** One route: its metric labels and its handler (run while holding a worker). */
export interface RouteDef<S> {
  readonly labels: RouteLabels
  readonly handle: Handler<S>
}

type Params = { id?: string }
type Query = Record<string, string | string[] | undefined>

/** A request for a check-in route: it waits for a worker, or is refused with 503. */
export function admit<S>(
  mock: StandIn,
  route: RouteDef<S>,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const ex = new Exchange(mock, route, request, reply)
  if (mock.pool.acquire(ex) === 'refused') {
    reply.code(503).type(JSON_TYPE).send(SERVICE_UNAVAILABLE.body)
    mock.metrics.observeRequest(route.labels, 503, (performance.now() - ex.startedAt) / 1000)
  }
}

export class Exchange<S> implements PoolWaiter, DelayedTask {
  readonly mock: StandIn
  readonly route: RouteDef<S>
  readonly request: FastifyRequest
  readonly reply: FastifyReply
  /** performance.now() when the handler got the request (before the pool) */
  readonly startedAt = performance.now()
  /** the route's state across the downstream wait; set by its handler before `afterChain` */
  state!: S
  private answered = false
  private holding = false
  private plan: ChainPlan | undefined
  private onSuccess: Handler<S> | undefined

  constructor(mock: StandIn, route: RouteDef<S>, request: FastifyRequest, reply: FastifyReply) {
    this.mock = mock
    this.route = route
    this.request = request
    this.reply = reply
  }

  get params(): Params {
    return this.request.params as Params
  }

  get query(): Query {
    return this.request.query as Query
  }

  granted(waitedMs: number): void {
    this.holding = true
    this.mock.metrics.observePoolWait(waitedMs / 1000)
    try {
      this.route.handle(this)
    } catch (error) {
      this.crash(error)
    }
  }

  /** Answers and gives the worker back. */
  send(status: number, body: string, cookie?: string): void {
    if (this.answered) return
    this.answered = true
    const reply = this.reply
    try {
      reply.code(status).type(JSON_TYPE)
      if (cookie !== undefined) reply.header('set-cookie', cookie)
      if (this.mock.closing) reply.header('connection', 'close')
      // OliveBranch camelizes JSON answers for `X-Key-Inflection: camel`
      reply.send(
        body.length > 0 && this.request.headers[INFLECTION_HEADER] === 'camel'
          ? camelizeJsonKeys(body)
          : body,
      )
    } finally {
      if (this.holding) {
        this.holding = false
        this.mock.pool.release()
      }
      this.mock.metrics.observeRequest(this.route.labels, status, (performance.now() - this.startedAt) / 1000)
    }
  }

  sendError(error: ErrorAnswer): void {
    this.send(error.status, error.body)
  }

  /**
   * Waits the chain's delay (holding the worker), then answers the chain's failure the way vets-api
   * does, or calls `onSuccess`.
   */
  afterChain(plan: ChainPlan, onSuccess: Handler<S>): void {
    this.plan = plan
    this.onSuccess = onSuccess
    if (plan.delayMs <= 0) this.run()
    else this.mock.scheduler.schedule(plan.delayMs, this)
  }

  /** the end of the downstream wait (DelayedTask): never throws */
  run(): void {
    const plan = this.plan!
    try {
      if (plan.failedCall !== undefined && plan.faultStatus !== undefined) {
        this.sendError(downstreamFailure(plan.failedCall, plan.faultStatus))
      } else {
        this.onSuccess!(this)
      }
    } catch (error) {
      this.crash(error)
    }
  }

  /** A bug of ours: 500, one log line, the worker back. */
  crash(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error)
    this.mock.log.line(`500 ${this.request.method} ${this.request.url}: internal error: ${message}`)
    this.sendError(INTERNAL_ERROR)
  }
}
