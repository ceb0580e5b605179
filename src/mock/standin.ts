import type { FastifyRequest } from 'fastify'
import { BodyGenerator } from './bodies.js'
import { isUuid } from './contract.js'
import { DownstreamSimulator } from './downstream.js'
import { ErrorLog } from './log.js'
import { MockMetrics } from './metrics.js'
import type { ResolvedMockOptions } from './options.js'
import { type Patient, PatientStore } from './patients.js'
import { WorkerPool } from './pool.js'
import { SeededRandom } from './random.js'
import { DelayScheduler } from './scheduler.js'

/**
 * The stand-in's state, shared by its routes: the worker pool, the per-uuid store, the mocked
 * downstream, the generated bodies, the metrics and the error log. A request's life (pool,
 * downstream wait, answer) is in exchange.ts; what each endpoint decides is in routes/.
 */

export const SESSION_COOKIE = 'api_session'
const COOKIE_ATTRIBUTES = '; path=/; HttpOnly; SameSite=Lax'

export class StandIn {
  readonly options: ResolvedMockOptions
  readonly pool: WorkerPool
  readonly patients: PatientStore
  readonly downstream: DownstreamSimulator
  readonly bodies: BodyGenerator
  readonly metrics: MockMetrics
  readonly log: ErrorLog
  /** the downstream waits: one timer per due millisecond */
  readonly scheduler = new DelayScheduler()
  private readonly random: SeededRandom
  /** set when the server starts closing: answers then close their keep-alive connection */
  closing = false
  private tokenSeq = 0
  private readonly timers = new Set<NodeJS.Timeout>()
  private sweepTimer: NodeJS.Timeout | undefined

  constructor(options: ResolvedMockOptions) {
    this.options = options
    this.random = new SeededRandom(options.seed, 1)
    this.pool = new WorkerPool(options.workers, options.backlogCap)
    this.patients = new PatientStore({
      capacity: options.maxPatients,
      now: options.now,
      ...(options.sessionTtlMs !== undefined && { sessionTtlMs: options.sessionTtlMs }),
      ...(options.retryTtlMs !== undefined && { retryTtlMs: options.retryTtlMs }),
    })
    this.downstream = new DownstreamSimulator({
      preset: options.preset,
      timeScale: options.timeScale,
      errorRate: options.errorRate,
      faultStatuses: options.faultStatuses,
      random: new SeededRandom(options.seed, 2),
      now: options.now,
      ...(options.chipTokenTtlMs !== undefined && { chipTokenTtlMs: options.chipTokenTtlMs }),
    })
    this.bodies = new BodyGenerator({ seed: options.seed, today: options.today })
    this.metrics = new MockMetrics({ pool: this.pool, downstream: this.downstream, patients: this.patients })
    this.log = new ErrorLog(options.logger)
  }

  /** Starts the periodic sweep of expired per-uuid entries. */
  start(sweepEveryMs = 60_000): void {
    if (this.sweepTimer !== undefined) return
    this.sweepTimer = setInterval(() => this.patients.sweep(), sweepEveryMs)
    this.sweepTimer.unref()
  }

  /** Stops the sweep and the background jobs (travel claims) still pending. */
  stop(): void {
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer)
    this.sweepTimer = undefined
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    this.scheduler.clear()
  }

  /** Both halves of "authorized" (vets-api does not compare them): the cookie and the uuid's entry. */
  authorized(request: FastifyRequest, uuid: unknown): boolean {
    return this.sessionPatient(request, uuid) !== undefined
  }

  /** The uuid's entry when the request is authorized for it (cookie + live session entry). */
  sessionPatient(request: FastifyRequest, uuid: unknown): Patient | undefined {
    if (!isUuid(uuid) || !hasSessionCookie(request.headers.cookie)) return undefined
    const patient = this.patients.get(uuid)
    return patient !== undefined && patient.sessionExpiresAt > this.options.now() ? patient : undefined
  }

  newSessionCookie(): string {
    this.tokenSeq++
    const token = `${this.tokenSeq.toString(36)}.${this.random.nextUint32().toString(36)}${this.random.nextUint32().toString(36)}`
    return `${SESSION_COOKIE}=${token}${COOKIE_ATTRIBUTES}`
  }

  /** A job that runs after the request answered, without a worker (Sidekiq): a travel claim. */
  background(delayMs: number, job: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      job()
    }, delayMs)
    timer.unref()
    this.timers.add(timer)
  }
}

/** Is there a non-empty api_session cookie in the Cookie header? (parsed by hand: the hot path) */
export function hasSessionCookie(header: string | undefined): boolean {
  if (header === undefined) return false
  let from = 0
  for (;;) {
    const at = header.indexOf(SESSION_COOKIE, from)
    if (at < 0) return false
    const end = at + SESSION_COOKIE.length
    let before = at - 1
    while (before >= 0 && header.charCodeAt(before) === 32) before--
    let after = end
    while (after < header.length && header.charCodeAt(after) === 32) after++
    if ((before < 0 || header.charCodeAt(before) === 59) && header.charCodeAt(after) === 61) {
      let value = after + 1
      while (value < header.length && header.charCodeAt(value) === 32) value++
      return value < header.length && header.charCodeAt(value) !== 59
    }
    from = end
  }
}
