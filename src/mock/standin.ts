import type { FastifyReply, FastifyRequest } from 'fastify'
import { downstreamChain } from '../model/downstream.js'
import { BodyGenerator } from './bodies.js'
import {
  BACKEND_ERRORS,
  CHECK_IN_OK_BODY,
  DEMOGRAPHICS_INVALID_BODY,
  downstreamFailure,
  type ErrorAnswer,
  field,
  INTERNAL_ERROR,
  INVALID_SESSION_BODY,
  isDob,
  isLastName,
  isObject,
  isUuid,
  JSON_TYPE,
  type JsonObject,
  MAX_AUTH_RETRY_LIMIT,
  PRE_CHECK_IN_OK_BODY,
  parameterMissing,
  permissionsBody,
  SERVICE_UNAVAILABLE,
} from './contract.js'
import { type ChainPlan, DownstreamSimulator } from './downstream.js'
import { ErrorLog } from './log.js'
import { MockMetrics, type RouteLabels } from './metrics.js'
import type { ResolvedMockOptions } from './options.js'
import { type Patient, PatientStore } from './patients.js'
import { type PoolWaiter, WorkerPool } from './pool.js'
import { SeededRandom } from './random.js'

/**
 * The stand-in's state and its check-in handlers, apart from fastify's routing: the worker pool,
 * the per-uuid store, the mocked downstream, the generated bodies and the metrics.
 *
 * A request becomes an Exchange, which waits for a worker (FIFO), runs its endpoint's handler,
 * waits the downstream chain's total delay with one timer while still holding the worker, answers,
 * and gives the worker back.
 */

export const SESSION_COOKIE = 'api_session'
const COOKIE_ATTRIBUTES = '; path=/; HttpOnly; SameSite=Lax'

export type Handler = (ex: Exchange) => void

/** One route: its metric labels and its handler (run while holding a worker). */
export interface RouteDef {
  readonly labels: RouteLabels
  readonly handle: Handler
}

type Params = { id?: string }
type Query = Record<string, string | string[] | undefined>

export class StandIn {
  readonly options: ResolvedMockOptions
  readonly pool: WorkerPool
  readonly patients: PatientStore
  readonly downstream: DownstreamSimulator
  readonly bodies: BodyGenerator
  readonly metrics: MockMetrics
  readonly log: ErrorLog
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
  }

  /** A request for a check-in route: it waits for a worker, or is refused with 503. */
  admit(route: RouteDef, request: FastifyRequest, reply: FastifyReply): void {
    const ex = new Exchange(this, route, request, reply)
    if (this.pool.acquire(ex) === 'refused') {
      reply.code(503).type(JSON_TYPE).send(SERVICE_UNAVAILABLE.body)
      this.metrics.observeRequest(route.labels, 503, (performance.now() - ex.startedAt) / 1000)
    }
  }

  /** Both halves of "authorized" (vets-api does not compare them): the cookie and the uuid's entry. */
  authorized(request: FastifyRequest, uuid: unknown): boolean {
    return isUuid(uuid) && hasSessionCookie(request.headers.cookie) && this.patients.hasSession(uuid)
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

/** One request, from admission to answer. */
export class Exchange implements PoolWaiter {
  readonly mock: StandIn
  readonly route: RouteDef
  readonly request: FastifyRequest
  readonly reply: FastifyReply
  /** performance.now() when the handler got the request (before the pool) */
  readonly startedAt = performance.now()
  private answered = false
  private holding = false

  constructor(mock: StandIn, route: RouteDef, request: FastifyRequest, reply: FastifyReply) {
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

  get body(): unknown {
    return this.request.body
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
      reply.send(body)
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
  afterChain(plan: ChainPlan, onSuccess: (ex: Exchange) => void): void {
    if (plan.delayMs <= 0) {
      this.finishChain(plan, onSuccess)
      return
    }
    setTimeout(runChainEnd, plan.delayMs, this, plan, onSuccess)
  }

  finishChain(plan: ChainPlan, onSuccess: (ex: Exchange) => void): void {
    try {
      if (plan.failedCall !== undefined && plan.faultStatus !== undefined) {
        this.sendError(downstreamFailure(plan.failedCall, plan.faultStatus))
      } else {
        onSuccess(this)
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

function runChainEnd(ex: Exchange, plan: ChainPlan, onSuccess: (ex: Exchange) => void): void {
  ex.finishChain(plan, onSuccess)
}

const NO_CONTEXT = {
  preCheckIn: false,
  oracleHealth: false,
  identifiersCached: false,
  eCheckInStarted: false,
}

// ---- the endpoints (checkin-api.md §4) ----

/** GET /check_in/v2/sessions/:id[?checkInType=preCheckIn] — 200 in every case but a CHIP failure. */
export const getSession: Handler = (ex) => {
  const uuid = ex.params.id
  if (!isUuid(uuid)) return ex.send(200, INVALID_SESSION_BODY)
  const preCheckIn = ex.query.checkInType === 'preCheckIn'
  const answer = (e: Exchange) => e.send(200, permissionsBody(e.mock.authorized(e.request, uuid), uuid))
  if (!preCheckIn) return answer(ex)
  // the pre-check-in refresh runs before the auth check, even for unauthenticated callers
  const plan = ex.mock.downstream.plan(downstreamChain('get_session', { ...NO_CONTEXT, preCheckIn: true }))
  ex.afterChain(plan, answer)
}

/** POST /check_in/v2/sessions — the login: LoROTA token, lockout after three wrong tries. */
export const postSession: Handler = (ex) => {
  const body = ex.body
  const session = isObject(body) ? body.session : undefined
  if (!isObject(session)) return ex.sendError(parameterMissing('session'))
  const uuid = session.uuid
  const dob = session.dob
  const lastName = field(session, 'last_name', 'lastName')
  if (!isUuid(uuid) || !isDob(dob) || !isLastName(lastName)) return ex.send(400, INVALID_SESSION_BODY)
  const mock = ex.mock
  if (mock.authorized(ex.request, uuid)) return ex.send(200, permissionsBody(true, uuid))

  const patient = mock.patients.get(uuid)
  if (patient?.deleted) {
    // LoROTA answers 401 "uuid not found": vets-api maps it to 404
    const plan = mock.downstream.plan(['lorota_token'], { deniedCall: 'lorota_token' })
    return ex.afterChain(plan, (e) => e.sendError(BACKEND_ERRORS.cie404))
  }
  if (patient !== undefined && patient.lastName !== '' && !sameCredentials(patient, lastName, dob)) {
    return wrongLogin(ex, uuid, patient)
  }
  const preCheckIn = field(session, 'check_in_type', 'checkInType') === 'preCheckIn'
  const oracleHealth = field(session, 'facility_type', 'facilityType') === 'oh'
  const chain = downstreamChain('post_session', { ...NO_CONTEXT, preCheckIn, oracleHealth })
  // set-precheckin-started's errors are swallowed: the login still succeeds
  const plan = mock.downstream.plan(chain, { swallowFrom: 1 })
  ex.afterChain(plan, (e) => {
    const p = mock.patients.getOrCreate(uuid)
    if (p.lastName === '') {
      p.lastName = lastName
      p.dob = dob
    } else if (!sameCredentials(p, lastName, dob)) {
      return wrongLogin(e, uuid, p) // another login fixed other credentials meanwhile
    }
    mock.patients.startSession(p)
    e.send(200, permissionsBody(true, uuid), mock.newSessionCookie())
  })
}

function sameCredentials(patient: Patient, lastName: string, dob: string): boolean {
  return patient.dob === dob && patient.lastName.toLowerCase() === lastName.toLowerCase()
}

/** LoROTA refused the credentials: 401 while fewer than three were counted, then 410 and deletion. */
function wrongLogin(ex: Exchange, uuid: string, patient: Patient): void {
  const mock = ex.mock
  const now = mock.options.now()
  const counted = patient.retriesExpireAt > now ? patient.retries : 0
  const lockout = counted >= MAX_AUTH_RETRY_LIMIT
  const plan = mock.downstream.plan(
    lockout ? ['lorota_token', 'chip_delete_from_lorota'] : ['lorota_token'],
    {
      deniedCall: 'lorota_token',
      swallowFrom: 1,
    },
  )
  ex.afterChain(plan, (e) => {
    const p = mock.patients.getOrCreate(uuid)
    mock.patients.countFailedLogin(p)
    if (lockout) {
      p.deleted = true
      p.sessionExpiresAt = 0
      e.sendError(BACKEND_ERRORS.cie410)
    } else {
      e.sendError(BACKEND_ERRORS.lorota401)
    }
  })
}

/** GET /check_in/v2/patient_check_ins/:id[?facilityType=oh] — the day-of read. */
export const getPatientCheckIn: Handler = (ex) => {
  const uuid = ex.params.id
  const mock = ex.mock
  if (!mock.authorized(ex.request, uuid)) return ex.send(401, permissionsBody(false, uuid))
  const id = uuid as string
  const patient = mock.patients.get(id)!
  const query = ex.query
  const oracleHealth = query.facilityType === 'oh'
  const preCheckIn = query.checkInType === 'preCheckIn'
  const startedBefore = patient.eCheckInStarted
  const chain = downstreamChain('get_patient_check_in', {
    preCheckIn,
    oracleHealth,
    identifiersCached: mock.patients.identifiersCached(patient),
    eCheckInStarted: startedBefore,
  })
  const plan = mock.downstream.plan(chain)
  const callsStarted = chain.includes('chip_set_e_check_in_started')
  if (plan.failedCall === 'chip_set_e_check_in_started' && !preCheckIn) {
    // the data was read and its identifiers cached before set-e-check-in-started failed
    mock.patients.cacheIdentifiers(patient)
  }
  ex.afterChain(plan, (e) => {
    if (!preCheckIn) mock.patients.cacheIdentifiers(patient)
    if (callsStarted) patient.eCheckInStarted = true
    e.send(200, mock.bodies.checkInData(id, startedBefore, oracleHealth))
  })
}

/** POST /check_in/v2/patient_check_ins — the day-of check-in; unauthenticated gets 200 read.none. */
export const postPatientCheckIn: Handler = (ex) => {
  const body = ex.body
  const checkIn = isObject(body) ? field(body, 'patient_check_ins', 'patientCheckIns') : undefined
  if (!isObject(checkIn)) return ex.sendError(parameterMissing('patient_check_ins'))
  const uuid = checkIn.uuid
  const mock = ex.mock
  if (!mock.authorized(ex.request, uuid)) return ex.send(200, permissionsBody(false, uuid))
  const plan = mock.downstream.plan(downstreamChain('post_patient_check_in', NO_CONTEXT))
  ex.afterChain(plan, (e) => e.send(200, CHECK_IN_OK_BODY))
}

/** GET /check_in/v2/pre_check_ins/:id?checkInType=preCheckIn — LoROTA data, no identifier caching. */
export const getPreCheckIn: Handler = (ex) => {
  const uuid = ex.params.id
  const mock = ex.mock
  if (!mock.authorized(ex.request, uuid)) return ex.send(401, permissionsBody(false, uuid))
  const id = uuid as string
  const patient = mock.patients.get(id)!
  const plan = mock.downstream.plan(downstreamChain('get_pre_check_in', { ...NO_CONTEXT, preCheckIn: true }))
  ex.afterChain(plan, (e) => e.send(200, mock.bodies.checkInData(id, patient.eCheckInStarted)))
}

/** POST /check_in/v2/pre_check_ins — CHIP pre-checkin. */
export const postPreCheckIn: Handler = (ex) => {
  const body = ex.body
  const preCheckIn = isObject(body) ? field(body, 'pre_check_in', 'preCheckIn') : undefined
  if (!isObject(preCheckIn)) return ex.sendError(parameterMissing('pre_check_in'))
  const uuid = preCheckIn.uuid
  const mock = ex.mock
  if (!mock.authorized(ex.request, uuid)) return ex.send(401, permissionsBody(false, uuid))
  const plan = mock.downstream.plan(downstreamChain('post_pre_check_in', { ...NO_CONTEXT, preCheckIn: true }))
  ex.afterChain(plan, (e) => e.send(200, PRE_CHECK_IN_OK_BODY))
}

/** PATCH/PUT /check_in/v2/demographics/:id — CHIP confirm-demographics. */
export const patchDemographics: Handler = (ex) => {
  const uuid = ex.params.id
  const mock = ex.mock
  if (!mock.authorized(ex.request, uuid)) return ex.send(401, permissionsBody(false, uuid))
  const body = ex.body
  const demographics = isObject(body) ? body.demographics : undefined
  if (!isObject(demographics)) return ex.sendError(parameterMissing('demographics'))
  const confirmations = field(demographics, 'demographic_confirmations', 'demographicConfirmations')
  if (!isObject(confirmations) || Object.keys(confirmations).length === 0) {
    return ex.send(400, DEMOGRAPHICS_INVALID_BODY)
  }
  const id = uuid as string
  const plan = mock.downstream.plan(downstreamChain('patch_demographics', NO_CONTEXT))
  ex.afterChain(plan, (e) => e.send(200, mock.bodies.demographicsConfirmed(id)))
}

/** POST /check_in/v0/travel_claims — enqueues the claim (a background BTSSS call) and answers 202. */
export const postTravelClaim: Handler = (ex) => {
  const body = ex.body
  const claim = isObject(body) ? field(body, 'travel_claims', 'travelClaims') : undefined
  if (!isObject(claim)) return ex.sendError(parameterMissing('travel_claims'))
  const uuid = (claim as JsonObject).uuid
  const mock = ex.mock
  if (!mock.authorized(ex.request, uuid)) return ex.send(401, permissionsBody(false, uuid))
  ex.send(202, '')
  const downstream = mock.downstream
  const failed = downstream.drawFault()
  mock.background(downstream.sampleDelayMs('btsss_travel_claim'), () => {
    downstream.countCall('btsss_travel_claim', failed ? 'error' : 'ok')
  })
}

/** OPTIONS /check_in/* — the CORS preflight (application#cors_preflight: head :ok). */
export const corsPreflight: Handler = (ex) => {
  ex.send(200, '')
}
