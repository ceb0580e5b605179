import type { FastifyPluginCallback } from 'fastify'
import { chainOf } from '../chains.js'
import { type JsonObject, PRE_CHECK_IN_OK_BODY, parameterMissing, permissionsBody } from '../contract.js'
import type { Handler } from '../exchange.js'
import type { Patient } from '../patients.js'
import { addRoute, bodyOf, objectUnder, type RoutesOptions } from './route.js'

/** GET and POST /check_in/v2/pre_check_ins (checkin-api.md §4.5-§4.6). */
export const preCheckInsRoutes: FastifyPluginCallback<RoutesOptions> = (app, { mock }, done) => {
  addRoute(app, mock, {
    method: 'GET',
    url: '/check_in/v2/pre_check_ins/:id',
    endpoint: 'get_pre_check_in',
    handle: getPreCheckIn,
  })
  addRoute(app, mock, {
    method: 'POST',
    url: '/check_in/v2/pre_check_ins',
    endpoint: 'post_pre_check_in',
    handle: postPreCheckIn,
    body: objectUnder('pre_check_in'),
  })
  done()
}

/** GET pre_check_ins: whose data to answer with. */
interface PreCheckInRead {
  uuid: string
  patient: Patient
}

/**
 * GET /check_in/v2/pre_check_ins/:id?checkInType=preCheckIn — LoROTA data (no identifier caching),
 * after CHIP refresh-appointments when identifiers are cached and the site is not Oracle Health.
 */
const getPreCheckIn: Handler<PreCheckInRead> = (ex) => {
  const uuid = ex.params.id
  const mock = ex.mock
  const patient = mock.sessionPatient(ex.request, uuid)
  if (patient === undefined) return ex.send(401, permissionsBody(false, uuid))
  ex.state = { uuid: uuid as string, patient }
  const chain = chainOf(
    'get_pre_check_in',
    true,
    ex.query.facilityType === 'oh',
    mock.patients.identifiersCached(patient),
  )
  ex.afterChain(mock.downstream.plan(chain), getPreCheckInDone)
}

const getPreCheckInDone: Handler<PreCheckInRead> = (ex) => {
  ex.send(200, ex.mock.bodies.checkInData(ex.state.uuid, ex.state.patient.eCheckInStarted))
}

/** POST /check_in/v2/pre_check_ins — CHIP pre-checkin. */
const postPreCheckIn: Handler<undefined> = (ex) => {
  const preCheckIn = bodyOf<{ pre_check_in: JsonObject }>(ex.request)?.pre_check_in
  if (preCheckIn === undefined) return ex.sendError(parameterMissing('pre_check_in'))
  const uuid = preCheckIn.uuid
  const mock = ex.mock
  if (!mock.authorized(ex.request, uuid)) return ex.send(401, permissionsBody(false, uuid))
  ex.afterChain(mock.downstream.plan(chainOf('post_pre_check_in', true)), preCheckInDone)
}

const preCheckInDone: Handler<undefined> = (ex) => ex.send(200, PRE_CHECK_IN_OK_BODY)
