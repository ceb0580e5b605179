import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { buildMockApp, type MockOptions, standInOf } from '../../src/mock/index.js'

/** Helpers shared by the stand-in's tests. */

export const TODAY = '2026-11-26'

/** A stand-in without delays (time scale 0) and without logs, unless asked. */
export function mockApp(opts: MockOptions = {}): FastifyInstance {
  return buildMockApp({ timeScale: 0, quiet: true, today: TODAY, ...opts })
}

let counter = 0
/** A fresh, well-formed, random-looking uuid (any well-formed uuid is a patient). */
export function newUuid(): string {
  counter++
  const hex = (counter * 2654435761).toString(16).padStart(12, '0').slice(-12)
  const rand = Math.floor(Math.random() * 0xffffffff)
    .toString(16)
    .padStart(8, '0')
  return `${rand}-0000-4000-8000-${hex}`
}

export const DOB = '1960-03-12'
export const LAST_NAME = 'Johnson'

export function json(response: LightMyRequestResponse): unknown {
  return JSON.parse(response.body)
}

/** The `api_session=...` pair of a Set-Cookie header, for the next request's Cookie header. */
export function sessionCookie(response: LightMyRequestResponse): string {
  const header = response.headers['set-cookie']
  const value = Array.isArray(header) ? header[0] : header
  if (typeof value !== 'string') throw new Error(`no Set-Cookie in ${response.statusCode} ${response.body}`)
  return value.slice(0, value.indexOf(';'))
}

export function postSession(
  app: FastifyInstance,
  session: Record<string, unknown>,
  cookie?: string,
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/check_in/v2/sessions',
    payload: { session },
    ...(cookie !== undefined && { headers: { cookie } }),
  })
}

/** Logs in (POST sessions) and returns the session cookie. */
export async function login(
  app: FastifyInstance,
  uuid: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const response = await postSession(app, { uuid, dob: DOB, last_name: LAST_NAME, ...extra })
  if (response.statusCode !== 200) throw new Error(`login: ${response.statusCode} ${response.body}`)
  return sessionCookie(response)
}

/** A session made behind the API's back (for stand-ins whose every downstream call fails). */
export function forceSession(app: FastifyInstance, uuid: string): string {
  const mock = standInOf(app)
  const patient = mock.patients.getOrCreate(uuid)
  patient.lastName = LAST_NAME
  patient.dob = DOB
  mock.patients.startSession(patient)
  return 'api_session=forced'
}

/** Calls made to a downstream service so far, by outcome. */
export function calls(app: FastifyInstance, call: string, outcome = 'ok'): number {
  return (
    standInOf(app)
      .downstream.callCounts()
      .find((c) => c.call === call && c.outcome === outcome)?.count ?? 0
  )
}

/** One sample of a metric from the exposition text; undefined when absent. */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue
    const rest = line.slice(name.length)
    if (!(rest.startsWith('{') || rest.startsWith(' '))) continue
    const labelText = rest.startsWith('{') ? rest.slice(1, rest.indexOf('}')) : ''
    const ok = Object.entries(labels).every(([k, v]) => labelText.split(',').includes(`${k}="${v}"`))
    if (ok) return Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return undefined
}
