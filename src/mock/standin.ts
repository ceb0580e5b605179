import type { FastifyReply, FastifyRequest } from 'fastify'
import { type DownstreamCall, downstreamChain } from '../model/downstream.js'
import type { CheckinEndpointId } from '../model/endpoints.js'
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
import { type DelayedTask, DelayScheduler } from './scheduler.js'

/**
 * The stand-in's state and its check-in handlers, apart from fastify's routing: the worker pool,
 * the per-uuid store, the mocked downstream, the generated bodies and the metrics.
 *
 * A request becomes an Exchange, which waits for a worker (FIFO), runs its endpoint's handler,
 * waits the downstream chain's total delay (on the shared DelayScheduler) while still holding the
 * worker, answers, and gives the worker back.
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

/** One request, from admission to answer; its fields carry the handler's state across the wait. */
export class Exchange implements PoolWaiter, DelayedTask {
  readonly mock: StandIn
  readonly route: RouteDef
  readonly request: FastifyRequest
  readonly reply: FastifyReply
  /** performance.now() when the handler got the request (before the pool) */
  readonly startedAt = performance.now()
  private answered = false
  private holding = false
  // what the handler decided, for after the downstream wait (no closure per request)
  uuid = ''
  patient: Patient | undefined = undefined
  /** the endpoint's own flag: preCheckIn, lockout, or set-e-check-in-started before this read */
  flag = false
  oracleHealth = false
  lastName = ''
  dob = ''
  private plan: ChainPlan | undefined
  private onSuccess: Handler | undefined

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
  afterChain(plan: ChainPlan, onSuccess: Handler): void {
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

/**
 * downstreamChain() of each endpoint and context, computed once: the chains are fixed by four
 * booleans, so the hot path looks them up instead of building arrays.
 */
const CHAINS = new Map<CheckinEndpointId, (readonly DownstreamCall[] | undefined)[]>()

export function chainOf(
  endpoint: CheckinEndpointId,
  preCheckIn = false,
  oracleHealth = false,
  identifiersCached = false,
  eCheckInStarted = false,
): readonly DownstreamCall[] {
  let row = CHAINS.get(endpoint)
  if (row === undefined) {
    row = new Array(16)
    CHAINS.set(endpoint, row)
  }
  const key =
    (preCheckIn ? 1 : 0) | (oracleHealth ? 2 : 0) | (identifiersCached ? 4 : 0) | (eCheckInStarted ? 8 : 0)
  let chain = row[key]
  if (chain === undefined) {
    chain = Object.freeze(
      downstreamChain(endpoint, { preCheckIn, oracleHealth, identifiersCached, eCheckInStarted }),
    )
    row[key] = chain
  }
  return chain
}

// ---- the endpoints (checkin-api.md §4) ----
// Each handler checks its input and decides its chain; its `…Done` half answers after the wait.

/** GET /check_in/v2/sessions/:id[?checkInType=preCheckIn] — 200 in every case but a CHIP failure. */
export const getSession: Handler = (ex) => {
  const uuid = ex.params.id
  if (!isUuid(uuid)) return ex.send(200, INVALID_SESSION_BODY)
  ex.uuid = uuid
  if (ex.query.checkInType !== 'preCheckIn') return getSessionDone(ex)
  // the pre-check-in refresh runs before the auth check, even for unauthenticated callers
  ex.afterChain(ex.mock.downstream.plan(chainOf('get_session', true)), getSessionDone)
}

const getSessionDone: Handler = (ex) => {
  ex.send(200, permissionsBody(ex.mock.authorized(ex.request, ex.uuid), ex.uuid))
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
  ex.uuid = uuid
  ex.lastName = lastName
  ex.dob = dob

  const patient = mock.patients.get(uuid)
  if (patient?.deleted) {
    // LoROTA answers 401 "uuid not found": vets-api maps it to 404
    return ex.afterChain(mock.downstream.plan(LOGIN_ONLY, { deniedCall: 'lorota_token' }), uuidNotFound)
  }
  if (patient !== undefined && patient.lastName !== '' && !sameCredentials(patient, lastName, dob)) {
    return wrongLogin(ex, patient)
  }
  const preCheckIn = field(session, 'check_in_type', 'checkInType') === 'preCheckIn'
  const oracleHealth = field(session, 'facility_type', 'facilityType') === 'oh'
  // set-precheckin-started's errors are swallowed: the login still succeeds
  ex.afterChain(
    mock.downstream.plan(chainOf('post_session', preCheckIn, oracleHealth), { swallowFrom: 1 }),
    loginDone,
  )
}

const LOGIN_ONLY: readonly DownstreamCall[] = ['lorota_token']
const LOGIN_THEN_DELETE: readonly DownstreamCall[] = ['lorota_token', 'chip_delete_from_lorota']

const uuidNotFound: Handler = (ex) => ex.sendError(BACKEND_ERRORS.cie404)

const loginDone: Handler = (ex) => {
  const mock = ex.mock
  const p = mock.patients.getOrCreate(ex.uuid)
  if (p.lastName === '') {
    p.lastName = ex.lastName
    p.dob = ex.dob
  } else if (!sameCredentials(p, ex.lastName, ex.dob)) {
    return wrongLogin(ex, p) // another login fixed other credentials meanwhile
  }
  mock.patients.startSession(p)
  ex.send(200, permissionsBody(true, ex.uuid), mock.newSessionCookie())
}

function sameCredentials(patient: Patient, lastName: string, dob: string): boolean {
  return patient.dob === dob && patient.lastName.toLowerCase() === lastName.toLowerCase()
}

/** LoROTA refused the credentials: 401 while fewer than three were counted, then 410 and deletion. */
function wrongLogin(ex: Exchange, patient: Patient): void {
  const mock = ex.mock
  const counted = patient.retriesExpireAt > mock.options.now() ? patient.retries : 0
  ex.flag = counted >= MAX_AUTH_RETRY_LIMIT // the lockout
  const plan = mock.downstream.plan(ex.flag ? LOGIN_THEN_DELETE : LOGIN_ONLY, {
    deniedCall: 'lorota_token',
    swallowFrom: 1,
  })
  ex.afterChain(plan, wrongLoginDone)
}

const wrongLoginDone: Handler = (ex) => {
  const mock = ex.mock
  const p = mock.patients.getOrCreate(ex.uuid)
  mock.patients.countFailedLogin(p)
  if (ex.flag) {
    p.deleted = true
    p.sessionExpiresAt = 0
    ex.sendError(BACKEND_ERRORS.cie410)
  } else {
    ex.sendError(BACKEND_ERRORS.lorota401)
  }
}

/** GET /check_in/v2/patient_check_ins/:id[?facilityType=oh] — the day-of read. */
export const getPatientCheckIn: Handler = (ex) => {
  const uuid = ex.params.id
  const mock = ex.mock
  const patient = mock.sessionPatient(ex.request, uuid)
  if (patient === undefined) return ex.send(401, permissionsBody(false, uuid))
  const query = ex.query
  const oracleHealth = query.facilityType === 'oh'
  const preCheckIn = query.checkInType === 'preCheckIn'
  ex.uuid = uuid as string
  ex.patient = patient
  ex.oracleHealth = oracleHealth
  ex.flag = patient.eCheckInStarted
  const chain = chainOf(
    'get_patient_check_in',
    preCheckIn,
    oracleHealth,
    mock.patients.identifiersCached(patient),
    patient.eCheckInStarted,
  )
  const plan = mock.downstream.plan(chain)
  if (!preCheckIn && (plan.failedCall === undefined || plan.failedCall === 'chip_set_e_check_in_started')) {
    // the data was read and its identifiers cached (before set-e-check-in-started, which may fail)
    mock.patients.cacheIdentifiers(patient)
  }
  if (plan.failedCall === undefined && chain.includes('chip_set_e_check_in_started'))
    patient.eCheckInStarted = true
  ex.afterChain(plan, getPatientCheckInDone)
}

const getPatientCheckInDone: Handler = (ex) => {
  ex.send(200, ex.mock.bodies.checkInData(ex.uuid, ex.flag, ex.oracleHealth))
}

/** POST /check_in/v2/patient_check_ins — the day-of check-in; unauthenticated gets 200 read.none. */
export const postPatientCheckIn: Handler = (ex) => {
  const body = ex.body
  const checkIn = isObject(body) ? field(body, 'patient_check_ins', 'patientCheckIns') : undefined
  if (!isObject(checkIn)) return ex.sendError(parameterMissing('patient_check_ins'))
  const uuid = checkIn.uuid
  const mock = ex.mock
  if (!mock.authorized(ex.request, uuid)) return ex.send(200, permissionsBody(false, uuid))
  ex.afterChain(mock.downstream.plan(chainOf('post_patient_check_in')), checkInDone)
}

const checkInDone: Handler = (ex) => ex.send(200, CHECK_IN_OK_BODY)

/** GET /check_in/v2/pre_check_ins/:id?checkInType=preCheckIn — LoROTA data, no identifier caching. */
export const getPreCheckIn: Handler = (ex) => {
  const uuid = ex.params.id
  const mock = ex.mock
  const patient = mock.sessionPatient(ex.request, uuid)
  if (patient === undefined) return ex.send(401, permissionsBody(false, uuid))
  ex.uuid = uuid as string
  ex.patient = patient
  ex.afterChain(mock.downstream.plan(chainOf('get_pre_check_in', true)), getPreCheckInDone)
}

const getPreCheckInDone: Handler = (ex) => {
  ex.send(200, ex.mock.bodies.checkInData(ex.uuid, ex.patient!.eCheckInStarted))
}

/** POST /check_in/v2/pre_check_ins — CHIP pre-checkin. */
export const postPreCheckIn: Handler = (ex) => {
  const body = ex.body
  const preCheckIn = isObject(body) ? field(body, 'pre_check_in', 'preCheckIn') : undefined
  if (!isObject(preCheckIn)) return ex.sendError(parameterMissing('pre_check_in'))
  const uuid = preCheckIn.uuid
  const mock = ex.mock
  if (!mock.authorized(ex.request, uuid)) return ex.send(401, permissionsBody(false, uuid))
  ex.afterChain(mock.downstream.plan(chainOf('post_pre_check_in', true)), preCheckInDone)
}

const preCheckInDone: Handler = (ex) => ex.send(200, PRE_CHECK_IN_OK_BODY)

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
  ex.uuid = uuid as string
  ex.afterChain(mock.downstream.plan(chainOf('patch_demographics')), demographicsDone)
}

const demographicsDone: Handler = (ex) => ex.send(200, ex.mock.bodies.demographicsConfirmed(ex.uuid))

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
