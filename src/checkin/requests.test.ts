import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CHECKIN_ENDPOINT_IDS } from '../model/endpoints.js'
import { checkinRequest, checkinVisitSteps } from './requests.js'

/** Every key of a JSON value, at any depth. */
function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf)
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([key, inner]) => [key, ...keysOf(inner)])
  return []
}

test('browser form: the web app v2 client paths, trailing slash on the collection POSTs only', () => {
  const paths = (app: 'dayOf' | 'preCheckIn') =>
    checkinVisitSteps(app, 'browser', { withDemographics: true }).map((s) => `${s.method} ${s.path}`)
  assert.deepEqual(paths('dayOf'), [
    'GET /check_in/v2/sessions/{{uuid}}',
    'POST /check_in/v2/sessions/',
    'GET /check_in/v2/patient_check_ins/{{uuid}}',
    'PATCH /check_in/v2/demographics/{{uuid}}',
    'POST /check_in/v2/patient_check_ins/',
  ])
  assert.deepEqual(paths('preCheckIn'), [
    'GET /check_in/v2/sessions/{{uuid}}?checkInType=preCheckIn',
    'POST /check_in/v2/sessions/',
    'GET /check_in/v2/pre_check_ins/{{uuid}}?checkInType=preCheckIn',
    'POST /check_in/v2/pre_check_ins/',
  ])
})

test('browser form: camelCase bodies as v2.js builds them, checkInType in every login', () => {
  assert.deepEqual(checkinRequest('post_session', 'dayOf', 'browser').body, {
    session: { uuid: '{{uuid}}', dob: '{{dob}}', lastName: '{{lastName}}', checkInType: 'dayOf' },
  })
  assert.deepEqual(checkinRequest('post_session', 'preCheckIn', 'browser').body, {
    session: { uuid: '{{uuid}}', dob: '{{dob}}', lastName: '{{lastName}}', checkInType: 'preCheckIn' },
  })
  assert.deepEqual(checkinRequest('post_patient_check_in', 'dayOf', 'browser').body, {
    patientCheckIns: {
      uuid: '{{uuid}}',
      appointmentIen: '{{appointmentIen}}',
      setECheckinStartedCalled: true,
      isTravelEnabled: false,
      travelSubmitted: false,
    },
  })
  assert.deepEqual(checkinRequest('patch_demographics', 'dayOf', 'browser').body, {
    demographics: {
      demographicConfirmations: {
        uuid: '{{uuid}}',
        demographicsUpToDate: true,
        nextOfKinUpToDate: true,
        emergencyContactUpToDate: true,
      },
    },
  })
  for (const id of CHECKIN_ENDPOINT_IDS) {
    const keys = keysOf(checkinRequest(id, 'preCheckIn', 'browser').body)
    assert.ok(
      keys.every((key) => !key.includes('_')),
      `${id}: no snake_case key in ${keys.join(',')}`,
    )
  }
})

test('api form: bare calls as today (snake_case, no trailing slash, check_in_type only for pre-check-in)', () => {
  const dayOf = checkinVisitSteps('dayOf', 'api')
  assert.deepEqual(
    dayOf.map((s) => `${s.method} ${s.path}`),
    [
      'GET /check_in/v2/sessions/{{uuid}}',
      'POST /check_in/v2/sessions',
      'GET /check_in/v2/patient_check_ins/{{uuid}}',
      'POST /check_in/v2/patient_check_ins',
    ],
  )
  assert.deepEqual(dayOf[1]!.body, {
    session: { uuid: '{{uuid}}', dob: '{{dob}}', last_name: '{{lastName}}' },
  })
  assert.deepEqual(checkinRequest('post_pre_check_in', 'preCheckIn', 'api').body, {
    pre_check_in: {
      uuid: '{{uuid}}',
      demographics_up_to_date: true,
      next_of_kin_up_to_date: true,
      emergency_contact_up_to_date: true,
      check_in_type: 'preCheckIn',
    },
  })
})

test('every step expects 200; a body comes with its JSON content type', () => {
  for (const form of ['browser', 'api'] as const) {
    for (const id of CHECKIN_ENDPOINT_IDS) {
      const step = checkinRequest(id, 'dayOf', form)
      assert.deepEqual(step.expectStatus, [200])
      assert.equal(step.endpoint, id)
      assert.equal(step.headers?.['content-type'], step.body === undefined ? undefined : 'application/json')
    }
  }
})
