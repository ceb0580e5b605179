import type { FastifyPluginCallback } from 'fastify'
import type { DownstreamCall } from '../../model/downstream.js'
import { chainOf } from '../chains.js'
import {
  BACKEND_ERRORS,
  field,
  INVALID_SESSION_BODY,
  isDob,
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
  dob: string
  /** the refused try found the retry limit reached: CHIP deleteFromLorota, then 410 */
  lockout: boolean
}

/** POST /check_in/v2/sessions — the login: LoROTA token, lockout after three wrong tries. */
const postSession: Handler<LoginAttempt> = (ex) => {
  const session = bodyOf<{ session: JsonObject }>(ex.request)?.session
  if (session === undefined) return ex.sendError(parameterMissing('session'))
  const uuid = session.uuid
  const dob = session.dob
  const lastName = field(session, 'last_name', 'lastName')
  if (!isUuid(uuid) || !isDob(dob) || !isLastName(lastName)) return ex.send(400, INVALID_SESSION_BODY)
  const mock = ex.mock
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
  mock.patients.countFailedLogin(p)
  if (ex.state.lockout) {
    p.deleted = true
    p.sessionExpiresAt = 0
    ex.sendError(BACKEND_ERRORS.cie410)
  } else {
    ex.sendError(BACKEND_ERRORS.lorota401)
  }
}
