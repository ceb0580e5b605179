import type { FastifyPluginCallback } from 'fastify'
import type { DownstreamCall, Era } from '../../model/downstream.js'
import { chainOf } from '../chains.js'
import {
  BACKEND_ERRORS,
  INVALID_LAST4_SESSION_BODY,
  INVALID_SESSION_BODY,
  isDob,
  isLast4,
  isLastName,
  isUuid,
  type JsonObject,
  MAX_AUTH_RETRY_LIMIT,
  parameterMissing,
  permissionsBody,
} from '../contract.js'
import type { Exchange, Handler } from '../exchange.js'
import type { Patient } from '../patients.js'
import { addRoute, bodyOf, objectUnder, type RoutesOptions } from './route.js'

/** GET and POST /check_in/v2/sessions (checkin-api.md §4.1-§4.2): the session check and the login. */
export const sessionsRoutes: FastifyPluginCallback<RoutesOptions> = (app, { mock }, done) => {
  addRoute(app, mock, {
    method: 'GET',
    url: '/check_in/v2/sessions/:id',
    endpoint: 'get_session',
    handle: getSession,
  })
  // (Rails also routes `/sessions/`, as the web app sends it: the app ignores trailing slashes)
  addRoute(app, mock, {
    method: 'POST',
    url: '/check_in/v2/sessions',
    endpoint: 'post_session',
    handle: postSession,
    body: objectUnder('session'),
  })
  done()
}

/** GET sessions: the uuid, for the answer after CHIP refresh-precheckin. */
interface SessionCheck {
  uuid: string
}

/** GET /check_in/v2/sessions/:id[?checkInType=preCheckIn] — 200 in every case but a CHIP failure. */
const getSession: Handler<SessionCheck> = (ex) => {
  const uuid = ex.params.id
  if (!isUuid(uuid)) return ex.send(200, INVALID_SESSION_BODY)
  ex.state = { uuid }
  if (ex.query.checkInType !== 'preCheckIn') return getSessionDone(ex)
  // the pre-check-in refresh runs before the auth check, even for unauthenticated callers
  ex.afterChain(ex.mock.downstream.plan(chainOf('get_session', true)), getSessionDone)
}

const getSessionDone: Handler<SessionCheck> = (ex) => {
  const uuid = ex.state.uuid
  ex.send(200, permissionsBody(ex.mock.authorized(ex.request, uuid), uuid))
}

/** POST sessions: the credentials tried, and whether a refused try is the one that locks out. */
interface LoginAttempt {
  uuid: string
  lastName: string
  /** the second credential: the dob, or (June 2022 code) `last4:NNNN` */
  dob: string
  /** the refused try found the retry limit reached: CHIP deleteFromLorota, then 410 */
  lockout: boolean
}

/**
 * The second credential of a login: `dob` (today); the June 2022 code took `last4` (the last four
 * of the SSN); its twin takes either, so that today's clients can drive it too.
 */
function secondCredential(session: JsonObject, era: Era): string | undefined {
  if (isDob(session.dob)) return session.dob
  if (era === '2022-06' && isLast4(session.last4)) return `last4:${session.last4}`
  return undefined
}

/**
 * POST /check_in/v2/sessions — the login: LoROTA token, lockout after three wrong tries. Keys as
 * the controller reads them (snake_case): a camelCase body needs X-Key-Inflection (inflection.ts).
 */
const postSession: Handler<LoginAttempt> = (ex) => {
  const session = bodyOf<{ session: JsonObject }>(ex.request)?.session
  if (session === undefined) return ex.sendError(parameterMissing('session'))
  const mock = ex.mock
  const era = mock.options.preset.era
  const uuid = session.uuid
  const dob = secondCredential(session, era)
  const lastName = session.last_name
  if (!isUuid(uuid) || dob === undefined || !isLastName(lastName)) {
    return ex.send(400, era === '2022-06' ? INVALID_LAST4_SESSION_BODY : INVALID_SESSION_BODY)
  }
  if (mock.authorized(ex.request, uuid)) return ex.send(200, permissionsBody(true, uuid))
  ex.state = { uuid, lastName, dob, lockout: false }

  const patient = mock.patients.get(uuid)
  if (patient?.deleted) {
    // LoROTA answers 401 "uuid not found": vets-api maps it to 404
    return ex.afterChain(mock.downstream.plan(LOGIN_ONLY, { deniedCall: 'lorota_token' }), uuidNotFound)
  }
  if (patient !== undefined && patient.lastName !== '' && !sameCredentials(patient, lastName, dob)) {
    return wrongLogin(ex, patient)
  }
  const preCheckIn = session.check_in_type === 'preCheckIn'
  const oracleHealth = session.facility_type === 'oh'
  // set-precheckin-started's errors are swallowed (the login still succeeds), not its CHIP token's
  ex.afterChain(
    mock.downstream.plan(chainOf('post_session', preCheckIn, oracleHealth), { swallowFrom: 1 }),
    loginDone,
  )
}

const LOGIN_ONLY: readonly DownstreamCall[] = ['lorota_token']
const LOGIN_THEN_DELETE: readonly DownstreamCall[] = ['lorota_token', 'chip_delete_from_lorota']

const uuidNotFound: Handler<LoginAttempt> = (ex) => ex.sendError(BACKEND_ERRORS.cie404)

const loginDone: Handler<LoginAttempt> = (ex) => {
  const mock = ex.mock
  const { uuid, lastName, dob } = ex.state
  const p = mock.patients.getOrCreate(uuid)
  if (p.lastName === '') {
    p.lastName = lastName
    p.dob = dob
  } else if (!sameCredentials(p, lastName, dob)) {
    return wrongLogin(ex, p) // another login fixed other credentials meanwhile
  }
  mock.patients.startSession(p)
  ex.send(200, permissionsBody(true, uuid), mock.newSessionCookie())
}

function sameCredentials(patient: Patient, lastName: string, dob: string): boolean {
  return patient.dob === dob && patient.lastName.toLowerCase() === lastName.toLowerCase()
}

/** LoROTA refused the credentials: 401 while fewer than three were counted, then 410 and deletion. */
function wrongLogin(ex: Exchange<LoginAttempt>, patient: Patient): void {
  const mock = ex.mock
  const counted = patient.retriesExpireAt > mock.options.now() ? patient.retries : 0
  ex.state.lockout = counted >= MAX_AUTH_RETRY_LIMIT
  const plan = mock.downstream.plan(ex.state.lockout ? LOGIN_THEN_DELETE : LOGIN_ONLY, {
    deniedCall: 'lorota_token',
    swallowFrom: 1,
  })
  ex.afterChain(plan, wrongLoginDone)
}

const wrongLoginDone: Handler<LoginAttempt> = (ex) => {
  const mock = ex.mock
  const p = mock.patients.getOrCreate(ex.state.uuid)
  // the 410 path does not save the counter again (V2::Lorota::Service: only below the limit)
  if (!ex.state.lockout) mock.patients.countFailedLogin(p)
  if (ex.state.lockout) {
    p.deleted = true
    p.sessionExpiresAt = 0
    ex.sendError(BACKEND_ERRORS.cie410)
  } else {
    ex.sendError(BACKEND_ERRORS.lorota401)
  }
}
