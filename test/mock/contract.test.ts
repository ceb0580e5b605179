import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildMockApp, standInOf } from '../../src/mock/index.js'
import {
  calls,
  DOB,
  forceSession,
  json,
  LAST_NAME,
  login,
  metricValue,
  mockApp,
  newUuid,
  postSession,
  sessionCookie,
  TODAY,
} from './helpers.js'

/**
 * The contract of checkin-api.md §1-§5, through app.inject() (no socket): status codes (the odd
 * ones included), bodies, the session cookie, the lockout, key casing, bad input, fault injection,
 * the backlog cap and the metrics.
 */

const apps: FastifyInstance[] = []
function app(opts: Parameters<typeof mockApp>[0] = {}): FastifyInstance {
  const instance = mockApp(opts)
  apps.push(instance)
  return instance
}
after(async () => {
  for (const instance of apps) await instance.close()
})

const READ_NONE = (uuid: unknown) => ({ permissions: 'read.none', status: 'success', uuid })
const READ_FULL = (uuid: string) => ({ permissions: 'read.full', status: 'success', uuid })
const INVALID = { error: true, message: 'Invalid dob or last name!' }

describe('GET /check_in/v2/sessions/:id', () => {
  const a = app()

  test('an invalid uuid answers 200 with the "Invalid dob or last name!" body', async () => {
    for (const id of ['not-a-uuid', 'D602D9EB-9A31-484F-9637-13AB0B507E0D']) {
      const response = await a.inject({ method: 'GET', url: `/check_in/v2/sessions/${id}` })
      assert.equal(response.statusCode, 200)
      assert.deepEqual(json(response), INVALID)
    }
  })

  test('unauthenticated: 200 read.none; with cookie and session: 200 read.full', async () => {
    const uuid = newUuid()
    const url = `/check_in/v2/sessions/${uuid}`
    const before = await a.inject({ method: 'GET', url })
    assert.equal(before.statusCode, 200)
    assert.deepEqual(json(before), READ_NONE(uuid))
    const cookie = await login(a, uuid)
    const afterLogin = await a.inject({ method: 'GET', url, headers: { cookie } })
    assert.deepEqual(json(afterLogin), READ_FULL(uuid))
    // both halves are needed: the session entry without a cookie, or a cookie without an entry
    assert.deepEqual(json(await a.inject({ method: 'GET', url })), READ_NONE(uuid))
    const other = newUuid()
    assert.deepEqual(
      json(await a.inject({ method: 'GET', url: `/check_in/v2/sessions/${other}`, headers: { cookie } })),
      READ_NONE(other),
    )
  })

  test('the cookie is not cross-checked with the entry: any api_session value will do', async () => {
    const uuid = newUuid()
    await login(a, uuid)
    const response = await a.inject({
      method: 'GET',
      url: `/check_in/v2/sessions/${uuid}`,
      headers: { cookie: 'other=1; api_session=from-someone-else' },
    })
    assert.deepEqual(json(response), READ_FULL(uuid))
  })

  test('?checkInType=preCheckIn calls CHIP refresh-precheckin even for unauthenticated callers', async () => {
    const before = calls(a, 'chip_refresh_precheckin')
    const uuid = newUuid()
    const response = await a.inject({
      method: 'GET',
      url: `/check_in/v2/sessions/${uuid}?checkInType=preCheckIn`,
    })
    assert.equal(response.statusCode, 200)
    assert.deepEqual(json(response), READ_NONE(uuid))
    assert.equal(calls(a, 'chip_refresh_precheckin'), before + 1)
  })
})

describe('POST /check_in/v2/sessions', () => {
  const a = app()

  test('a first login answers 200 read.full and sets an HttpOnly, SameSite=Lax api_session cookie', async () => {
    const uuid = newUuid()
    const response = await postSession(a, { uuid, dob: DOB, last_name: LAST_NAME })
    assert.equal(response.statusCode, 200)
    assert.deepEqual(json(response), READ_FULL(uuid))
    const setCookie = String(response.headers['set-cookie'])
    assert.match(setCookie, /^api_session=[^;]+;/)
    assert.match(setCookie, /; HttpOnly/)
    assert.match(setCookie, /; SameSite=Lax/)
    assert.match(String(response.headers['content-type']), /^application\/json/)
  })

  test('camelCase keys (lastName, checkInType) as the front end sends them, with X-Key-Inflection: camel', async () => {
    const uuid = newUuid()
    const before = calls(a, 'chip_set_precheckin_started')
    const response = await a.inject({
      method: 'POST',
      url: '/check_in/v2/sessions',
      payload: { session: { uuid, dob: DOB, lastName: LAST_NAME, checkInType: 'preCheckIn' } },
      headers: { 'x-key-inflection': 'camel' },
    })
    assert.equal(response.statusCode, 200)
    assert.equal(calls(a, 'chip_set_precheckin_started'), before + 1)
  })

  test('invalid uuid, dob or last name: 400 with the "Invalid dob or last name!" body', async () => {
    const uuid = newUuid()
    for (const session of [
      { uuid: 'nope', dob: DOB, last_name: LAST_NAME },
      { uuid, dob: '03/12/1960', last_name: LAST_NAME },
      { uuid, dob: DOB, last_name: '' },
      { uuid, dob: DOB, last_name: 'x'.repeat(601) },
      { uuid, dob: DOB },
      { uuid, last4: '1234', last_name: LAST_NAME },
    ]) {
      const response = await postSession(a, session)
      assert.equal(response.statusCode, 400, JSON.stringify(session))
      assert.deepEqual(json(response), INVALID)
    }
  })

  test('no session object: 400 "Missing parameter" in the error envelope', async () => {
    for (const payload of [{}, { session: 'x' }, [], 'text', 42, null]) {
      const response = await a.inject({
        method: 'POST',
        url: '/check_in/v2/sessions',
        payload: JSON.stringify(payload),
        headers: { 'content-type': 'application/json' },
      })
      assert.equal(response.statusCode, 400, JSON.stringify(payload))
      assert.deepEqual(json(response), {
        errors: [
          {
            title: 'Missing parameter',
            detail: 'The required parameter "session", is missing',
            code: '108',
            status: '400',
          },
        ],
      })
    }
  })

  test('already authorized (cookie + entry): 200 read.full without any downstream call', async () => {
    const uuid = newUuid()
    const cookie = await login(a, uuid)
    const before = calls(a, 'lorota_token')
    const response = await postSession(a, { uuid, dob: '1999-01-01', last_name: 'Anyone' }, cookie)
    assert.equal(response.statusCode, 200)
    assert.deepEqual(json(response), READ_FULL(uuid))
    assert.equal(calls(a, 'lorota_token'), before)
  })

  test('the first login fixes the credentials: last name compared case-insensitively', async () => {
    const uuid = newUuid()
    await login(a, uuid)
    const again = await postSession(a, { uuid, dob: DOB, last_name: LAST_NAME.toUpperCase() })
    assert.equal(again.statusCode, 200)
    const wrongDob = await postSession(a, { uuid, dob: '1960-03-13', last_name: LAST_NAME })
    assert.equal(wrongDob.statusCode, 401)
  })

  test('three wrong logins give 401 LOROTA-API_401, the fourth 410 CIE-VETS-API_410, then 404', async () => {
    const uuid = newUuid()
    await login(a, uuid)
    const wrong = { uuid, dob: DOB, last_name: 'Smith' }
    for (let i = 1; i <= 3; i++) {
      const response = await postSession(a, wrong)
      assert.equal(response.statusCode, 401, `wrong login ${i}`)
      assert.deepEqual(json(response), {
        errors: [
          {
            title: 'Authentication Error',
            detail: 'Authentication Error',
            code: 'LOROTA-API_401',
            status: '401',
          },
        ],
      })
      assert.equal(response.headers['set-cookie'], undefined)
    }
    const deleteCalls = calls(a, 'chip_delete_from_lorota')
    const fourth = await postSession(a, wrong)
    assert.equal(fourth.statusCode, 410)
    assert.deepEqual(json(fourth), {
      errors: [
        { title: 'Data Gone', detail: 'Retry Attempt Exceeded', code: 'CIE-VETS-API_410', status: '410' },
      ],
    })
    assert.equal(
      calls(a, 'chip_delete_from_lorota'),
      deleteCalls + 1,
      'the lockout deletes the uuid from LoROTA',
    )
    // LoROTA no longer knows the uuid: even the right credentials get "uuid not found" -> 404
    const right = await postSession(a, { uuid, dob: DOB, last_name: LAST_NAME })
    assert.equal(right.statusCode, 404)
    assert.equal((json(right) as { errors: { code: string }[] }).errors[0]!.code, 'CIE-VETS-API_404')
    assert.ok(calls(a, 'lorota_token', 'denied') >= 5)
  })

  test('a right login between wrong ones still succeeds (the counter is not reset)', async () => {
    const uuid = newUuid()
    await login(a, uuid)
    const wrong = { uuid, dob: DOB, last_name: 'Smith' }
    assert.equal((await postSession(a, wrong)).statusCode, 401)
    assert.equal((await postSession(a, wrong)).statusCode, 401)
    assert.equal((await postSession(a, { uuid, dob: DOB, last_name: LAST_NAME })).statusCode, 200)
    assert.equal((await postSession(a, wrong)).statusCode, 401)
    assert.equal((await postSession(a, wrong)).statusCode, 410)
  })
})

describe('authorization on the data endpoints (odd statuses included)', () => {
  const a = app()
  const uuid = newUuid()
  const cases: [string, string, unknown, number][] = [
    ['GET', `/check_in/v2/patient_check_ins/${uuid}`, undefined, 401],
    ['GET', `/check_in/v2/pre_check_ins/${uuid}?checkInType=preCheckIn`, undefined, 401],
    ['POST', '/check_in/v2/pre_check_ins', { pre_check_in: { uuid, check_in_type: 'preCheckIn' } }, 401],
    [
      'PATCH',
      `/check_in/v2/demographics/${uuid}`,
      { demographics: { demographic_confirmations: { a: true } } },
      401,
    ],
    ['POST', '/check_in/v0/travel_claims', { travel_claims: { uuid, appointment_date: TODAY } }, 401],
    // POST patient_check_ins answers 200 (not 401!) with the read.none body
    ['POST', '/check_in/v2/patient_check_ins', { patient_check_ins: { uuid, appointment_ien: '460' } }, 200],
  ]
  for (const [method, url, payload, status] of cases) {
    test(`${method} ${url.replace(uuid, ':id')} without a session: ${status} read.none`, async () => {
      const response = await a.inject({
        method: method as 'GET',
        url,
        ...(payload !== undefined && { payload: payload as object }),
      })
      assert.equal(response.statusCode, status)
      assert.deepEqual(json(response), READ_NONE(uuid))
      // a cookie alone is not enough
      const withCookie = await a.inject({
        method: method as 'GET',
        url,
        headers: { cookie: 'api_session=abc' },
        ...(payload !== undefined && { payload: payload as object }),
      })
      assert.equal(withCookie.statusCode, status)
    })
  }
})

describe('the day-of flow', () => {
  const a = app()

  test('GET patient_check_ins: the appointments body; identifiers cached; set-e-check-in-started once', async () => {
    const uuid = newUuid()
    const cookie = await login(a, uuid)
    const url = `/check_in/v2/patient_check_ins/${uuid}`
    const refresh = calls(a, 'chip_refresh_appointments')
    const started = calls(a, 'chip_set_e_check_in_started')
    const first = await a.inject({ method: 'GET', url, headers: { cookie } })
    assert.equal(first.statusCode, 200)
    const body = json(first) as { id: string; payload: Record<string, unknown> }
    assert.equal(body.id, uuid)
    assert.equal(body.payload.setECheckinStartedCalled, false)
    assert.ok(Array.isArray(body.payload.appointments))
    assert.equal(calls(a, 'chip_refresh_appointments'), refresh, 'nothing cached yet: no refresh')
    assert.equal(calls(a, 'chip_set_e_check_in_started'), started + 1)

    const second = await a.inject({ method: 'GET', url, headers: { cookie } })
    assert.equal((json(second) as typeof body).payload.setECheckinStartedCalled, true)
    assert.equal(calls(a, 'chip_refresh_appointments'), refresh + 1, 'identifiers cached: refresh first')
    assert.equal(calls(a, 'chip_set_e_check_in_started'), started + 1, 'started only once')
  })

  test('facilityType=oh: Oracle Health body, no CHIP refresh or started calls', async () => {
    const uuid = newUuid()
    const cookie = await login(a, uuid)
    const started = calls(a, 'chip_set_e_check_in_started')
    const response = await a.inject({
      method: 'GET',
      url: `/check_in/v2/patient_check_ins/${uuid}?facilityType=oh`,
      headers: { cookie },
    })
    assert.equal(response.statusCode, 200)
    assert.equal(typeof (json(response) as { payload: { address: unknown } }).payload.address, 'string')
    assert.equal(calls(a, 'chip_set_e_check_in_started'), started)
  })

  test('POST patient_check_ins, snake and camel (with X-Key-Inflection): 200 "Checkin successful"', async () => {
    const uuid = newUuid()
    const cookie = await login(a, uuid)
    for (const [payload, headers] of [
      [{ patient_check_ins: { uuid, appointment_ien: '460' } }, { cookie }],
      [{ patientCheckIns: { uuid, appointmentIen: '460' } }, { cookie, 'x-key-inflection': 'camel' }],
    ] as const) {
      const response = await a.inject({
        method: 'POST',
        url: '/check_in/v2/patient_check_ins',
        payload,
        headers,
      })
      assert.equal(response.statusCode, 200)
      assert.deepEqual(json(response), { data: 'Checkin successful', status: 200 })
    }
    const missing = await a.inject({
      method: 'POST',
      url: '/check_in/v2/patient_check_ins',
      payload: {},
      headers: { cookie },
    })
    assert.equal(missing.statusCode, 400)
  })

  test('PATCH and PUT demographics: 200 with the CHIP answer; no confirmations: 400', async () => {
    const uuid = newUuid()
    const cookie = await login(a, uuid)
    const url = `/check_in/v2/demographics/${uuid}`
    for (const [method, payload, headers] of [
      [
        'PATCH',
        { demographics: { demographic_confirmations: { demographics_up_to_date: true } } },
        { cookie },
      ],
      [
        'PUT',
        { demographics: { demographicConfirmations: { demographicsUpToDate: true } } },
        { cookie, 'x-key-inflection': 'camel' },
      ],
    ] as const) {
      const response = await a.inject({ method, url, payload, headers })
      assert.equal(response.statusCode, 200, method)
      assert.equal((json(response) as { status: number }).status, 200)
    }
    const none = await a.inject({ method: 'PATCH', url, payload: { demographics: {} }, headers: { cookie } })
    assert.equal(none.statusCode, 400)
    assert.deepEqual(json(none), { data: { error: true, message: 'Invalid parameter request' }, status: 400 })
  })

  test('POST v0/travel_claims: 202 with an empty body', async () => {
    const uuid = newUuid()
    const cookie = await login(a, uuid)
    const response = await a.inject({
      method: 'POST',
      url: '/check_in/v0/travel_claims',
      payload: { travelClaims: { uuid, appointmentDate: TODAY } },
      headers: { cookie, 'x-key-inflection': 'camel' },
    })
    assert.equal(response.statusCode, 202)
    assert.equal(response.body, '')
  })
})

describe('the pre-check-in flow', () => {
  const a = app()

  test('GET pre_check_ins: the same shape, no identifier caching; POST pre_check_ins: 200', async () => {
    const uuid = newUuid()
    const cookie = await login(a, uuid, { check_in_type: 'preCheckIn' })
    const read = await a.inject({
      method: 'GET',
      url: `/check_in/v2/pre_check_ins/${uuid}?checkInType=preCheckIn`,
      headers: { cookie },
    })
    assert.equal(read.statusCode, 200)
    assert.equal((json(read) as { id: string }).id, uuid)
    assert.equal(standInOf(a).patients.identifiersCached(standInOf(a).patients.get(uuid)!), false)
    for (const [payload, headers] of [
      [{ pre_check_in: { uuid, demographics_up_to_date: true, check_in_type: 'preCheckIn' } }, { cookie }],
      [
        { preCheckIn: { uuid, demographicsUpToDate: true, checkInType: 'preCheckIn' } },
        { cookie, 'x-key-inflection': 'camel' },
      ],
    ] as const) {
      const response = await a.inject({
        method: 'POST',
        url: '/check_in/v2/pre_check_ins',
        payload,
        headers,
      })
      assert.equal(response.statusCode, 200)
      assert.deepEqual(json(response), { data: 'Pre-checkin successful', status: 200 })
    }
  })
})

describe('bad input never yields a 500', () => {
  const lines: string[] = []
  const a = app({ quiet: false, logger: (line) => lines.push(line), bodyLimit: 1024 })

  const errorOf = (body: string) =>
    (JSON.parse(body) as { errors: { status: string; code: string }[] }).errors[0]!

  test('malformed JSON: 400', async () => {
    for (const payload of ['{"session":', '{x}', '']) {
      const response = await a.inject({
        method: 'POST',
        url: '/check_in/v2/sessions',
        payload,
        headers: { 'content-type': 'application/json' },
      })
      assert.equal(response.statusCode, 400, JSON.stringify(payload))
      assert.equal(errorOf(response.body).status, '400')
    }
  })

  test('a body that is not JSON: 415', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const response = await a.inject({
        method: 'POST',
        url: '/check_in/v2/patient_check_ins',
        payload: 'a=b',
        headers: { 'content-type': type },
      })
      assert.equal(response.statusCode, 415, type)
      assert.equal(errorOf(response.body).code, '415')
    }
  })

  test('a body over the limit: 413', async () => {
    const response = await a.inject({
      method: 'POST',
      url: '/check_in/v2/sessions',
      payload: { session: { uuid: newUuid(), dob: DOB, last_name: 'x'.repeat(2000) } },
    })
    assert.equal(response.statusCode, 413)
    assert.equal(errorOf(response.body).code, '413')
  })

  test('unknown routes and methods: 404 "no routes matching" (code 411)', async () => {
    for (const [method, url] of [
      ['GET', '/'],
      ['GET', '/check_in/v2/nothing'],
      ['DELETE', `/check_in/v2/sessions/${newUuid()}`],
      ['GET', '/check_in/v2/sessions'],
      ['HEAD', `/check_in/v2/sessions/${newUuid()}`],
    ] as const) {
      const response = await a.inject({ method, url })
      assert.equal(response.statusCode, 404, `${method} ${url}`)
      if (method !== 'HEAD') {
        assert.deepEqual(errorOf(response.body), {
          title: 'Not found',
          detail: `There are no routes matching your request: ${url}`,
          code: '411',
          status: '404',
        })
      }
    }
  })

  test('odd JSON shapes are a 400, never a 500', async () => {
    const uuid = newUuid()
    const cookie = await login(a, uuid)
    for (const [url, method] of [
      ['/check_in/v2/sessions', 'POST'],
      ['/check_in/v2/patient_check_ins', 'POST'],
      ['/check_in/v2/pre_check_ins', 'POST'],
      [`/check_in/v2/demographics/${uuid}`, 'PATCH'],
      ['/check_in/v0/travel_claims', 'POST'],
    ] as const) {
      for (const payload of ['[]', 'null', '"text"', '7', '{"session":[1]}', '{"__proto__":{"x":1}}']) {
        const response = await a.inject({
          method,
          url,
          payload,
          headers: { 'content-type': 'application/json', cookie },
        })
        assert.ok(
          response.statusCode >= 400 && response.statusCode < 500,
          `${method} ${url} ${payload}: ${response.statusCode}`,
        )
      }
    }
  })

  test('one log line per error, no stack', () => {
    assert.ok(lines.length > 0)
    for (const line of lines) {
      assert.match(line, /^checkin-load mock: \d{3} /)
      assert.ok(!line.includes('\n') && !line.includes('    at '), line)
    }
  })
})

describe('deterministic bodies for a seed', () => {
  const read = async (seed: number, uuid: string) => {
    const a = app({ seed })
    const cookie = await login(a, uuid)
    const response = await a.inject({
      method: 'GET',
      url: `/check_in/v2/patient_check_ins/${uuid}`,
      headers: { cookie },
    })
    return response.body
  }

  test('same seed and uuid: the same body; another seed: another body', async () => {
    const uuid = newUuid()
    assert.equal(await read(7, uuid), await read(7, uuid))
    assert.notEqual(await read(7, uuid), await read(8, uuid))
  })
})

describe('fault injection (every downstream call fails)', () => {
  const failing = (status: 404 | 500 | 504) => app({ errorRate: 1, faultStatuses: [status] })
  const errorOf = (body: string) =>
    (JSON.parse(body) as { errors: { status: string; code: string }[] }).errors[0]!

  for (const [status, http, code] of [
    [404, 404, 'CHIP-API_404'],
    [500, 500, 'CHIP-API_500'],
    [504, 400, 'VA900'],
  ] as const) {
    test(`CHIP ${status} on POST patient_check_ins -> ${http} ${code}`, async () => {
      const a = failing(status)
      const uuid = newUuid()
      const cookie = forceSession(a, uuid)
      const response = await a.inject({
        method: 'POST',
        url: '/check_in/v2/patient_check_ins',
        payload: { patient_check_ins: { uuid } },
        headers: { cookie },
      })
      assert.equal(response.statusCode, http)
      assert.equal(errorOf(response.body).code, code)
      assert.equal(errorOf(response.body).status, String(http))
    })
  }

  test('CHIP refresh-precheckin failing on GET sessions?checkInType=preCheckIn propagates (404, 500)', async () => {
    for (const [status, code] of [
      [404, 'CHIP-API_404'],
      [500, 'CHIP-API_500'],
    ] as const) {
      const response = await failing(status).inject({
        method: 'GET',
        url: `/check_in/v2/sessions/${newUuid()}?checkInType=preCheckIn`,
      })
      assert.equal(response.statusCode, status)
      assert.equal(errorOf(response.body).code, code)
    }
  })

  test('LoROTA failing on login (404, 500): 400 VA900 (LOROTA-API_404 has no locale entry)', async () => {
    for (const status of [404, 500] as const) {
      const down = await postSession(failing(status), { uuid: newUuid(), dob: DOB, last_name: LAST_NAME })
      assert.equal(down.statusCode, 400)
      assert.equal(errorOf(down.body).code, 'VA900')
    }
  })

  test('CHIP 504 on PATCH demographics -> 400 VA900 (as the confirm_demographics_504 spec)', async () => {
    const a = failing(504)
    const uuid = newUuid()
    const cookie = forceSession(a, uuid)
    const response = await a.inject({
      method: 'PATCH',
      url: `/check_in/v2/demographics/${uuid}`,
      payload: { demographics: { demographic_confirmations: { demographics_up_to_date: true } } },
      headers: { cookie },
    })
    assert.equal(response.statusCode, 400)
    assert.deepEqual(errorOf(response.body), {
      title: 'Operation failed',
      detail: 'Operation failed',
      code: 'VA900',
      status: '400',
    })
  })

  test('failed calls are counted with outcome "error"', async () => {
    const a = failing(500)
    await a.inject({ method: 'GET', url: `/check_in/v2/sessions/${newUuid()}?checkInType=preCheckIn` })
    const text = (await a.inject({ method: 'GET', url: '/metrics' })).body
    const failedToken = metricValue(text, 'checkin_mock_downstream_calls_total', {
      call: 'chip_token',
      outcome: 'error',
    })
    assert.equal(failedToken, 1, 'the cold CHIP token call fails first')
  })
})

describe('the worker pool and the backlog cap', () => {
  test('one worker, backlog cap 1: the third concurrent request gets 503 at once', async () => {
    // staging-2022 x 0.1: POST patient_check_ins holds its worker 500 ms (CHIP check-in 5 s), long
    // enough for the three requests to arrive while the first one holds it, even on a busy machine
    const a = app({ preset: 'staging-2022', timeScale: 0.1, workers: 1, backlogCap: 1 })
    const uuids = [newUuid(), newUuid(), newUuid()]
    const cookies = uuids.map((uuid) => forceSession(a, uuid))
    standInOf(a).downstream.plan(['chip_token']) // warm the CHIP token cache (usable 20 ms later)
    await new Promise((resolve) => setTimeout(resolve, 30))
    const post = (i: number) =>
      a.inject({
        method: 'POST',
        url: '/check_in/v2/patient_check_ins',
        payload: { patient_check_ins: { uuid: uuids[i] } },
        headers: { cookie: cookies[i]! },
      })
    const started = performance.now()
    const [r0, r1, r2] = await Promise.all([post(0), post(1), post(2)])
    const elapsedMs = performance.now() - started
    assert.deepEqual([r0.statusCode, r1.statusCode, r2.statusCode].sort(), [200, 200, 503])
    const refused = [r0, r1, r2].find((r) => r.statusCode === 503)!
    assert.deepEqual(JSON.parse(refused.body), {
      errors: [
        {
          title: 'Service unavailable',
          detail: 'All workers are busy and the request backlog is full',
          code: '503',
          status: '503',
        },
      ],
    })
    assert.ok(elapsedMs >= 990, `two requests of 500 ms in a row through one worker took ${elapsedMs} ms`)
    const text = (await a.inject({ method: 'GET', url: '/metrics' })).body
    assert.equal(metricValue(text, 'checkin_mock_pool_wait_seconds_count'), 2, 'two requests got a worker')
    assert.equal(
      metricValue(text, 'checkin_mock_requests_total', { endpoint: 'post_patient_check_in', status: '503' }),
      1,
    )
  })

  test('/health and /metrics answer while every worker is busy', async () => {
    // POST patient_check_ins holds the only worker for 1 s (5 s x 0.2)
    const a = app({ preset: 'staging-2022', timeScale: 0.2, workers: 1 })
    const uuid = newUuid()
    const cookie = forceSession(a, uuid)
    const slow = a.inject({
      method: 'POST',
      url: '/check_in/v2/patient_check_ins',
      payload: { patient_check_ins: { uuid } },
      headers: { cookie },
    })
    // inject() is asynchronous: wait (bounded) until the slow request holds the only worker
    for (let i = 0; i < 100 && standInOf(a).pool.busy === 0; i++) await new Promise((r) => setTimeout(r, 1))
    assert.equal(standInOf(a).pool.busy, 1)
    const health = await a.inject({ method: 'GET', url: '/health' })
    assert.equal(health.statusCode, 200)
    assert.deepEqual(json(health), { status: 'ok' })
    const metrics = await a.inject({ method: 'GET', url: '/metrics' })
    assert.equal(metricValue(metrics.body, 'checkin_mock_pool_busy_workers'), 1)
    assert.equal(metricValue(metrics.body, 'checkin_mock_pool_workers'), 1)
    assert.equal(standInOf(a).pool.busy, 1, 'still held by the slow request')
    assert.equal((await slow).statusCode, 200)
  })
})

describe('/metrics', () => {
  test('request counters and histograms by endpoint id, method and status; downstream calls; pool', async () => {
    const a = app()
    const uuid = newUuid()
    await a.inject({ method: 'GET', url: `/check_in/v2/sessions/${uuid}` })
    const cookie = await login(a, uuid)
    await a.inject({ method: 'GET', url: `/check_in/v2/patient_check_ins/${uuid}`, headers: { cookie } })
    await a.inject({
      method: 'PUT',
      url: `/check_in/v2/demographics/${uuid}`,
      payload: {},
      headers: { cookie },
    })
    await a.inject({
      method: 'POST',
      url: '/check_in/v0/travel_claims',
      payload: { travel_claims: { uuid } },
      headers: { cookie },
    })
    await a.inject({ method: 'GET', url: '/nowhere' })
    const response = await a.inject({ method: 'GET', url: '/metrics' })
    assert.equal(response.statusCode, 200)
    assert.match(String(response.headers['content-type']), /^text\/plain/)
    const text = response.body
    const requests = (labels: Record<string, string>) =>
      metricValue(text, 'checkin_mock_requests_total', labels)
    assert.equal(requests({ endpoint: 'get_session', method: 'GET', status: '200' }), 1)
    assert.equal(requests({ endpoint: 'post_session', method: 'POST', status: '200' }), 1)
    assert.equal(requests({ endpoint: 'get_patient_check_in', method: 'GET', status: '200' }), 1)
    assert.equal(requests({ endpoint: 'patch_demographics', method: 'PUT', status: '400' }), 1)
    assert.equal(requests({ endpoint: 'travel_claim', method: 'POST', status: '202' }), 1)
    assert.equal(requests({ endpoint: 'other', method: 'GET', status: '404' }), 1)
    assert.equal(
      metricValue(text, 'checkin_mock_request_duration_seconds_count', {
        endpoint: 'post_session',
        status: '200',
      }),
      1,
    )
    assert.ok(text.includes('checkin_mock_request_duration_seconds_bucket{le="0.005"'))
    assert.ok(text.includes('le="30"'))
    assert.equal(
      metricValue(text, 'checkin_mock_downstream_calls_total', { call: 'lorota_token', outcome: 'ok' }),
      1,
    )
    assert.equal(
      metricValue(text, 'checkin_mock_downstream_calls_total', { call: 'lorota_data', outcome: 'ok' }),
      1,
    )
    assert.equal(metricValue(text, 'checkin_mock_pool_workers'), 100_000)
    assert.equal(metricValue(text, 'checkin_mock_pool_busy_workers'), 0)
    assert.equal(metricValue(text, 'checkin_mock_pool_backlog'), 0)
    assert.equal(
      metricValue(text, 'checkin_mock_pool_wait_seconds_count'),
      5,
      'the five check-in requests took a worker',
    )
    assert.equal(metricValue(text, 'checkin_mock_patients'), 1)
  })

  test('each app has its own registry (two stand-ins in one process)', async () => {
    const a = buildMockApp({ quiet: true, timeScale: 0 })
    const b = buildMockApp({ quiet: true, timeScale: 0 })
    apps.push(a, b)
    await a.inject({ method: 'GET', url: `/check_in/v2/sessions/${newUuid()}` })
    const text = (await b.inject({ method: 'GET', url: '/metrics' })).body
    assert.equal(metricValue(text, 'checkin_mock_requests_total', { endpoint: 'get_session' }), undefined)
  })
})

describe('time scale', () => {
  test('staging-2022 x 0.01: POST patient_check_ins holds its answer about 50 ms (5 s CHIP check-in)', async () => {
    const a = app({ preset: 'staging-2022', timeScale: 0.01 })
    const uuid = newUuid()
    const cookie = forceSession(a, uuid)
    standInOf(a).downstream.plan(['chip_token'])
    await new Promise((resolve) => setTimeout(resolve, 10))
    const started = performance.now()
    const response = await a.inject({
      method: 'POST',
      url: '/check_in/v2/patient_check_ins',
      payload: { patient_check_ins: { uuid } },
      headers: { cookie },
    })
    const ms = performance.now() - started
    assert.equal(response.statusCode, 200)
    assert.ok(ms >= 48, `answered after ${ms} ms`)
  })

  test('the session cookie is set once per login, its token differs each time', async () => {
    const a = app()
    const uuid = newUuid()
    const first = sessionCookie(await postSession(a, { uuid, dob: DOB, last_name: LAST_NAME }))
    const second = sessionCookie(await postSession(a, { uuid, dob: DOB, last_name: LAST_NAME }))
    assert.notEqual(first, second)
  })
})
