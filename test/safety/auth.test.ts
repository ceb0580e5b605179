import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { request } from 'undici'
import { type MockServer, startMockServer } from '../../src/mock/index.js'

/**
 * The stand-in checks authorization on every data endpoint, as vets-api does: a request is
 * authorized only with BOTH halves, an api_session cookie and a live session entry for its uuid.
 * A table over every data endpoint x {neither, cookie only (forged), session only (no cookie),
 * both}, over real HTTP; the refused ones answer the read.none body and leak no patient data.
 * The login's cookie is HttpOnly and SameSite.
 */
const DOB = '1958-07-04'
const LAST_NAME = 'Okafor'
const TODAY = '2026-11-27'

let server: MockServer
before(async () => {
  server = await startMockServer({ port: 0, timeScale: 0, quiet: true, today: TODAY, closeTimeoutMs: 1000 })
})
after(async () => {
  await server.close()
})

let uuidCounter = 0
function newUuid(): string {
  uuidCounter++
  return `7c0f${String(uuidCounter).padStart(4, '0')}-1111-4222-8333-${Date.now().toString(16).padStart(12, '0').slice(-12)}`
}

async function send(method: string, path: string, body?: unknown, cookie?: string) {
  const response = await request(`${server.url}${path}`, {
    method: method as 'GET',
    headers: {
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...(cookie !== undefined && { cookie }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  const text = await response.body.text()
  return { status: response.statusCode, text, setCookie: response.headers['set-cookie'] }
}

/** Logs `uuid` in; returns the cookie pair for the Cookie header, and the Set-Cookie it came in. */
async function login(uuid: string): Promise<{ cookie: string; setCookie: string }> {
  const answer = await send('POST', '/check_in/v2/sessions', {
    session: { uuid, dob: DOB, last_name: LAST_NAME },
  })
  assert.equal(answer.status, 200, answer.text)
  const setCookie = String(Array.isArray(answer.setCookie) ? answer.setCookie[0] : answer.setCookie)
  return { cookie: setCookie.slice(0, setCookie.indexOf(';')), setCookie }
}

interface Endpoint {
  readonly name: string
  readonly method: string
  readonly path: (uuid: string) => string
  readonly body?: (uuid: string) => unknown
  /** status when refused (vets-api answers some refusals with 200 and the read.none body) */
  readonly refused: number
  readonly allowed: number
  /** a piece of the authorized answer */
  readonly allowedBody: RegExp
}

const ENDPOINTS: readonly Endpoint[] = [
  {
    name: 'get_session',
    method: 'GET',
    path: (u) => `/check_in/v2/sessions/${u}`,
    refused: 200,
    allowed: 200,
    allowedBody: /"permissions":"read\.full"/,
  },
  {
    name: 'get_patient_check_in',
    method: 'GET',
    path: (u) => `/check_in/v2/patient_check_ins/${u}`,
    refused: 401,
    allowed: 200,
    allowedBody: /appointments/,
  },
  {
    name: 'post_patient_check_in',
    method: 'POST',
    path: () => '/check_in/v2/patient_check_ins',
    body: (uuid) => ({ patient_check_ins: { uuid, appointment_ien: '460', facility_id: '500' } }),
    refused: 200,
    allowed: 200,
    allowedBody: /Checkin successful/i,
  },
  {
    name: 'get_pre_check_in',
    method: 'GET',
    path: (u) => `/check_in/v2/pre_check_ins/${u}?checkInType=preCheckIn`,
    refused: 401,
    allowed: 200,
    allowedBody: /appointments/,
  },
  {
    name: 'post_pre_check_in',
    method: 'POST',
    path: () => '/check_in/v2/pre_check_ins',
    body: (uuid) => ({ pre_check_in: { uuid, check_in_type: 'preCheckIn' } }),
    refused: 401,
    allowed: 200,
    allowedBody: /.+/,
  },
  {
    name: 'patch_demographics',
    method: 'PATCH',
    path: (u) => `/check_in/v2/demographics/${u}`,
    body: () => ({ demographics: { demographic_confirmations: { demographics_up_to_date: true } } }),
    refused: 401,
    allowed: 200,
    allowedBody: /.+/,
  },
  {
    name: 'put_demographics',
    method: 'PUT',
    path: (u) => `/check_in/v2/demographics/${u}`,
    body: () => ({ demographics: { demographic_confirmations: { demographics_up_to_date: true } } }),
    refused: 401,
    allowed: 200,
    allowedBody: /.+/,
  },
  {
    name: 'travel_claim',
    method: 'POST',
    path: () => '/check_in/v0/travel_claims',
    body: (uuid) => ({ travel_claims: { uuid, appointment_date: TODAY } }),
    refused: 401,
    allowed: 202,
    allowedBody: /^$/,
  },
]

const STATES = ['neither', 'cookie only (forged, no session)', 'session only (no cookie)', 'both'] as const

describe('authorization on every data endpoint', { concurrency: 4 }, () => {
  for (const endpoint of ENDPOINTS) {
    for (const state of STATES) {
      const allowed = state === 'both'
      test(`${endpoint.name}, ${state}: ${allowed ? endpoint.allowed : endpoint.refused}`, async () => {
        const uuid = newUuid()
        let cookie: string | undefined
        if (state === 'cookie only (forged, no session)') cookie = 'api_session=forged.token'
        if (state === 'session only (no cookie)') await login(uuid)
        if (state === 'both') cookie = (await login(uuid)).cookie
        const answer = await send(endpoint.method, endpoint.path(uuid), endpoint.body?.(uuid), cookie)
        const why = `${endpoint.method} ${endpoint.path(uuid)} (${state}): ${answer.status} ${answer.text.slice(0, 300)}`
        if (allowed) {
          assert.equal(answer.status, endpoint.allowed, why)
          assert.match(answer.text, endpoint.allowedBody, why)
        } else {
          assert.equal(answer.status, endpoint.refused, why)
          assert.deepEqual(
            JSON.parse(answer.text),
            { permissions: 'read.none', status: 'success', uuid },
            why,
          )
        }
      })
    }
  }

  test('the session cookie is HttpOnly and SameSite, on path /', async () => {
    const { setCookie } = await login(newUuid())
    assert.match(setCookie, /^api_session=[^;]+;/)
    assert.match(setCookie, /;\s*HttpOnly/i)
    assert.match(setCookie, /;\s*SameSite=(Lax|Strict)/i)
    assert.match(setCookie, /;\s*path=\//i)
  })
})
