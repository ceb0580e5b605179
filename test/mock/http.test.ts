import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { type MockServer, standInOf, startMockServer } from '../../src/mock/index.js'
import { checkinProfile, DEFAULT_ESTIMATES } from '../../src/profile/index.js'
import type { JsonTemplate, StepSpec } from '../../src/profile/types.js'
import { metricValue, newUuid, TODAY } from './helpers.js'

/**
 * The stand-in over real HTTP on loopback: the built-in profile's flows, exactly as the load
 * generator sends them (its step specs, templates filled per visit), get a 200 at every step
 * against fresh random uuids; close() lets requests in flight finish.
 */

type Vars = Record<string, string>

function fill(template: string, vars: Vars): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = vars[name]
    if (value === undefined) throw new Error(`no variable ${name}`)
    return value
  })
}

function fillJson(template: JsonTemplate, vars: Vars): JsonTemplate {
  if (typeof template === 'string') return fill(template, vars)
  if (Array.isArray(template)) return template.map((item) => fillJson(item, vars))
  if (template !== null && typeof template === 'object') {
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, fillJson(v, vars)]))
  }
  return template
}

/** Runs one visit of a flow: steps in order, sharing the session cookie; returns each status. */
async function runVisit(base: string, steps: readonly StepSpec[], vars: Vars): Promise<number[]> {
  let cookie = ''
  const statuses: number[] = []
  for (const step of steps) {
    const response = await fetch(`${base}${fill(step.path, vars)}`, {
      method: step.method,
      headers: { ...step.headers, ...(cookie && { cookie }) },
      ...(step.body !== undefined && { body: JSON.stringify(fillJson(step.body, vars)) }),
    })
    await response.arrayBuffer()
    statuses.push(response.status)
    for (const setCookie of response.headers.getSetCookie()) {
      if (setCookie.startsWith('api_session=')) cookie = setCookie.slice(0, setCookie.indexOf(';'))
    }
  }
  return statuses
}

describe('the built-in flows over HTTP', () => {
  let server: MockServer
  before(async () => {
    server = await startMockServer({ port: 0, quiet: true, today: TODAY }) // fast preset: 1-2 ms delays
  })
  after(() => server.close())

  test('the URL is loopback with the bound port', () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/)
    assert.notEqual(server.url, 'http://127.0.0.1:0')
  })

  test('every step of both flows (day-of with demographics, pre-check-in) answers 200', async () => {
    const profile = checkinProfile({ ...DEFAULT_ESTIMATES, withDemographics: true })
    const visits: Promise<number[]>[] = []
    const expected: number[][] = []
    for (let i = 0; i < 20; i++) {
      for (const flow of profile.flows) {
        const vars = {
          uuid: newUuid(),
          lastName: "O'Neil",
          firstName: 'Mary',
          dob: '1948-07-04',
          appointmentIen: String(400 + i),
          today: TODAY,
        }
        visits.push(runVisit(server.url, flow.steps, vars))
        expected.push(flow.steps.map((step) => step.expectStatus?.[0] ?? 200))
      }
    }
    assert.deepEqual(await Promise.all(visits), expected)
    assert.ok(expected.every((statuses) => statuses.every((s) => s === 200)))
    const text = await (await fetch(`${server.url}/metrics`)).text()
    assert.equal(
      metricValue(text, 'checkin_mock_requests_total', { endpoint: 'post_session', status: '200' }),
      40,
    )
    assert.equal(
      metricValue(text, 'checkin_mock_requests_total', { endpoint: 'patch_demographics', status: '200' }),
      20,
    )
    assert.equal(
      metricValue(text, 'checkin_mock_requests_total', { endpoint: 'post_pre_check_in', status: '200' }),
      20,
    )
  })

  test('the session cookie over the wire: HttpOnly, SameSite=Lax, path /', async () => {
    const uuid = newUuid()
    const response = await fetch(`${server.url}/check_in/v2/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-key-inflection': 'camel' },
      body: JSON.stringify({ session: { uuid, dob: '1960-03-12', lastName: 'Johnson' } }),
    })
    assert.equal(response.status, 200)
    const [setCookie] = response.headers.getSetCookie()
    assert.match(setCookie ?? '', /^api_session=[^;]+; path=\/; HttpOnly; SameSite=Lax$/)
  })
})

describe('close()', () => {
  test('stops accepting but lets a request in flight finish', async () => {
    // staging-2022 x 0.05: POST patient_check_ins waits 250 ms for CHIP check-in
    const server = await startMockServer({ port: 0, quiet: true, preset: 'staging-2022', timeScale: 0.05 })
    const mock = standInOf(server.app)
    const uuid = newUuid()
    const patient = mock.patients.getOrCreate(uuid)
    mock.patients.startSession(patient)
    const inFlight = fetch(`${server.url}/check_in/v2/patient_check_ins`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: 'api_session=x' },
      body: JSON.stringify({ patient_check_ins: { uuid } }),
    })
    for (let i = 0; i < 200 && mock.pool.busy === 0; i++) await new Promise((r) => setTimeout(r, 5))
    assert.equal(mock.pool.busy, 1, 'the request holds a worker')
    const closed = server.close()
    const response = await inFlight
    assert.equal(response.status, 200)
    assert.deepEqual(await response.json(), { data: 'Checkin successful', status: 200 })
    await closed
    await assert.rejects(fetch(`${server.url}/health`), 'no longer accepting')
  })
})
