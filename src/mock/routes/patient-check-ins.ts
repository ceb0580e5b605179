import type { FastifyPluginCallback } from 'fastify'
import { chainOf } from '../chains.js'
import { CHECK_IN_OK_BODY, type JsonObject, parameterMissing, permissionsBody } from '../contract.js'
import type { Handler } from '../exchange.js'
import { addRoute, bodyOf, objectUnder, type RoutesOptions } from './route.js'

/** GET and POST /check_in/v2/patient_check_ins (checkin-api.md §4.3-§4.4): the day-of read and check-in. */
export const patientCheckInsRoutes: FastifyPluginCallback<RoutesOptions> = (app, { mock }, done) => {
  addRoute(app, mock, {
    method: 'GET',
    url: '/check_in/v2/patient_check_ins/:id',
    endpoint: 'get_patient_check_in',
    handle: getPatientCheckIn,
  })
  addRoute(app, mock, {
    method: 'POST',
    url: '/check_in/v2/patient_check_ins',
    endpoint: 'post_patient_check_in',
    handle: postPatientCheckIn,
    body: objectUnder('patient_check_ins'),
  })
  done()
}

/** GET patient_check_ins: what the answer shows, decided before the downstream wait. */
interface DayOfRead {
  uuid: string
  /** setECheckinStartedCalled as LoROTA's data had it: before this read's own call */
  startedBefore: boolean
  /** facilityType=oh: the Oracle Health shape, no CHIP refresh or started calls */
  oracleHealth: boolean
}

/** GET /check_in/v2/patient_check_ins/:id[?facilityType=oh] — the day-of read. */
const getPatientCheckIn: Handler<DayOfRead> = (ex) => {
  const uuid = ex.params.id
  const mock = ex.mock
  const patient = mock.sessionPatient(ex.request, uuid)
  if (patient === undefined) return ex.send(401, permissionsBody(false, uuid))
  const oracleHealth = ex.query.facilityType === 'oh'
  ex.state = { uuid: uuid as string, startedBefore: patient.eCheckInStarted, oracleHealth }
  const chain = chainOf(
    'get_patient_check_in',
    false,
    oracleHealth,
    mock.patients.identifiersCached(patient),
    patient.eCheckInStarted,
    mock.options.preset.era,
  )
  const plan = mock.downstream.plan(chain)
  // once LoROTA's data is read, its identifiers are cached, whatever the check-in type (this
  // controller has none) and whatever fails after it (set-e-check-in-started, its CHIP token)
  const dataAt = plan.calls.indexOf('lorota_data')
  if (dataAt >= 0 && (plan.failedCall === undefined || dataAt < plan.calls.length - 1)) {
    mock.patients.cacheIdentifiers(patient)
  }
  if (plan.failedCall === undefined && chain.includes('chip_set_e_check_in_started'))
    patient.eCheckInStarted = true
  ex.afterChain(plan, getPatientCheckInDone)
}

const getPatientCheckInDone: Handler<DayOfRead> = (ex) => {
  const { uuid, startedBefore, oracleHealth } = ex.state
  ex.send(200, ex.mock.bodies.checkInData(uuid, startedBefore, oracleHealth))
}

/** POST /check_in/v2/patient_check_ins — the day-of check-in; unauthenticated gets 200 read.none. */
const postPatientCheckIn: Handler<undefined> = (ex) => {
  const checkIn = bodyOf<{ patient_check_ins: JsonObject }>(ex.request)?.patient_check_ins
  if (checkIn === undefined) return ex.sendError(parameterMissing('patient_check_ins'))
  const uuid = checkIn.uuid
  const mock = ex.mock
  if (!mock.authorized(ex.request, uuid)) return ex.send(200, permissionsBody(false, uuid))
  ex.afterChain(mock.downstream.plan(chainOf('post_patient_check_in')), checkInDone)
}

const checkInDone: Handler<undefined> = (ex) => ex.send(200, CHECK_IN_OK_BODY)
