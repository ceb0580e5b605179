import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { after, before, test } from 'node:test'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { request } from 'undici'
import { buildMockApp, type MockServer, startMockServer } from '../../src/mock/index.js'
import { FUZZ_SEED, fuzzParameters } from '../helpers/fuzz.js'

/**
 * The stand-in fuzzed: random methods, paths, queries, headers, cookies and bodies (some shaped
 * like the check-in API's, so that they reach deep into the handlers: logins, wrong logins and
 * lockouts, authorized reads and writes), with fault injection off. It never answers 5xx, never
 * crashes, and its memory stays flat: through app.inject() for thousands of requests, and a few
 * hundred over real HTTP, raw malformed bytes included.
 */
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const UUIDS = [
  'd602d9eb-9a31-484f-9637-13ab0b507e0d',
  '5d5a26cd-fb0b-4c5b-8bc6-1b8d1dd4b2c3',
  '0a6d8f3e-8d64-4d6a-9a0e-3b1b0f5e2c11',
]
const uuid = fc.oneof(fc.constantFrom(...UUIDS), fc.uuid(), fc.string({ maxLength: 40 }))
const dob = fc.oneof(fc.constant('1950-01-27'), fc.string({ maxLength: 12 }), fc.integer())
const lastName = fc.oneof(
  fc.constant('Smith'),
  fc.constant('smith'),
  fc.string({ maxLength: 20 }),
  fc.constant(null),
)
const checkInType = fc.constantFrom(undefined, 'preCheckIn', 'dayOf', '', 'oh')

/** Bodies shaped like the API's, with random (often wrong) fields. */
const apiBody = fc.oneof(
  fc.record({
    session: fc.record({ uuid, dob, last_name: lastName, check_in_type: checkInType }, { requiredKeys: [] }),
  }),
  fc.record({ session: fc.record({ uuid, dob, lastName, checkInType, facilityType: checkInType }) }),
  fc.record({
    patient_check_ins: fc.record({ uuid, appointment_ien: fc.string(), facility_id: fc.string() }),
  }),
  fc.record({ patientCheckIns: fc.record({ uuid }) }),
  fc.record({
    pre_check_in: fc.record({ uuid, demographics_up_to_date: fc.boolean() }, { requiredKeys: [] }),
  }),
  fc.record({
    demographics: fc.record({ demographic_confirmations: fc.dictionary(fc.string(), fc.jsonValue()) }),
  }),
  fc.record({ travel_claims: fc.record({ uuid, appointment_date: fc.string() }) }),
)
const body = fc.oneof(
  fc.constant(undefined),
  apiBody.map((b) => JSON.stringify(b)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.integer({ min: 60_000, max: 80_000 }).map((n) => `{"x":"${'a'.repeat(n)}"}`),
)
const PATHS = [
  '/check_in/v2/sessions/:id',
  '/check_in/v2/sessions',
  '/check_in/v2/patient_check_ins/:id',
  '/check_in/v2/patient_check_ins',
  '/check_in/v2/pre_check_ins/:id',
  '/check_in/v2/pre_check_ins',
  '/check_in/v2/demographics/:id',
  '/check_in/v0/travel_claims',
  '/check_in/:id',
  '/check_in/v2/:id/:id',
  '/metrics',
  '/health',
  '/',
  '/:id',
]
const segment = fc.oneof(uuid, fc.constantFrom('..', '%2e%2e', '%', '%zz', '%00', '', '😀', 'a'.repeat(300)))
const query = fc.oneof(
  fc.constant(''),
  checkInType.map((t) => (t === undefined ? '' : `?checkInType=${t}`)),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }).map((q) => {
    const text = new URLSearchParams(q).toString()
    return text === '' ? '' : `?${text}&facilityType=oh`
  }),
)
const path = fc
  .tuple(fc.constantFrom(...PATHS), fc.array(segment, { minLength: 2, maxLength: 2 }), query)
  .map(([template, [a, b], q]) => {
    let n = 0
    return `${template.replace(/:id/g, () => encodeURIComponent(n++ === 0 ? String(a) : String(b)))}${q}`
  })
const method = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'TRACE', 'SEARCH')
const contentType = fc.constantFrom(
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=latin1',
  'bogus',
)
const cookie = fc.oneof(
  fc.constant(undefined),
  fc.constant('api_session=abc.def'),
  fc.constant('other=1; api_session='),
  fc.constant('api_session'),
  fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
)
const extraHeaders = fc.dictionary(
  fc.constantFrom(
    'x-key-inflection',
    'accept',
    'x-csrf-token',
    'origin',
    'x-forwarded-for',
    'source-app-name',
  ),
  fc.string({ maxLength: 30 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
  { maxKeys: 3 },
)
const anyRequest = fc.record({ method, path, body, contentType, cookie, headers: extraHeaders })
type FuzzRequest = typeof anyRequest extends fc.Arbitrary<infer T> ? T : never

/** The API's own routes, right method, a uuid from a small pool, JSON and a session cookie most of the time. */
const ROUTES = [
  ['GET', '/check_in/v2/sessions/:id'],
  ['POST', '/check_in/v2/sessions'],
  ['GET', '/check_in/v2/patient_check_ins/:id'],
  ['POST', '/check_in/v2/patient_check_ins'],
  ['GET', '/check_in/v2/pre_check_ins/:id'],
  ['POST', '/check_in/v2/pre_check_ins'],
  ['PATCH', '/check_in/v2/demographics/:id'],
  ['PUT', '/check_in/v2/demographics/:id'],
  ['POST', '/check_in/v0/travel_claims'],
  ['OPTIONS', '/check_in/v2/sessions'],
] as const
const apiRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({
    route: fc.integer({ min: 0, max: ROUTES.length - 1 }),
    id: fc.oneof(fc.constantFrom(...UUIDS), uuid),
    query,
    body: fc.oneof(
      apiBody.map((b) => JSON.stringify(b)),
      body,
    ),
    contentType: fc.oneof(fc.constant('application/json'), contentType),
    cookie: fc.oneof(fc.constant('api_session=1.abc'), cookie),
    headers: extraHeaders,
  })
  .map((r) => {
    const [m, template] = ROUTES[r.route]!
    return {
      method: m,
      path: `${template.replace(':id', encodeURIComponent(String(r.id)))}${r.query}`,
      body: r.body,
      contentType: r.contentType,
      cookie: r.cookie,
      headers: r.headers,
    }
  })
const fuzzRequest = fc.oneof({ arbitrary: apiRequest, weight: 3 }, { arbitrary: anyRequest, weight: 1 })

function headersOf(r: FuzzRequest): Record<string, string> {
  return {
    ...r.headers,
    ...(r.contentType !== undefined && { 'content-type': r.contentType }),
    ...(r.cookie !== undefined && { cookie: r.cookie }),
  }
}

let app: FastifyInstance
let server: MockServer
before(async () => {
  app = buildMockApp({ quiet: true, seed: 5, errorRate: 0 })
  await app.ready()
  server = await startMockServer({ port: 0, quiet: true, seed: 6, closeTimeoutMs: 1000 })
})
after(async () => {
  await app.close()
  await server.close()
})

async function inject(r: FuzzRequest): Promise<number> {
  const response = await app.inject({
    method: r.method as 'GET',
    url: r.path,
    headers: headersOf(r),
    ...(r.body !== undefined && r.method !== 'GET' && r.method !== 'HEAD' && { payload: r.body }),
  })
  return response.statusCode
}

const heapMb = () => {
  gc()
  gc()
  return process.memoryUsage().heapUsed / 1_048_576
}

test(`app.inject(): thousands of random requests, never a 5xx, heap flat (seed ${FUZZ_SEED})`, async (t) => {
  const statuses = new Map<number, number>()
  const run = async (numRuns: number, seed: number) =>
    fc.assert(
      fc.asyncProperty(fuzzRequest, async (r) => {
        const status = await inject(r)
        statuses.set(status, (statuses.get(status) ?? 0) + 1)
        assert.ok(status < 500, `${status} for ${JSON.stringify(r).slice(0, 500)}`)
      }),
      { numRuns, seed },
    )
  await run(1000, FUZZ_SEED) // warm: routes, label sets and the per-uuid store fill up
  const before = heapMb()
  await run(3000, FUZZ_SEED + 1)
  const grown = heapMb() - before
  t.diagnostic(`statuses ${JSON.stringify(Object.fromEntries(statuses))}; heap +${grown.toFixed(1)} MB`)
  assert.ok(grown < 15, `heap grew ${grown.toFixed(1)} MB over 3000 requests`)
  // deep paths were reached: logins, authorized reads, refusals
  for (const status of [200, 400, 401, 404]) assert.ok((statuses.get(status) ?? 0) > 0, `saw ${status}`)
  const health = await app.inject({ method: 'GET', url: '/health' })
  assert.equal(health.statusCode, 200)
})

test('over real HTTP: a few hundred random requests and raw malformed bytes, never a 5xx, still serving', async () => {
  const samples = fc.sample(fuzzRequest, fuzzParameters(300, 2))
  const statuses: number[] = []
  // eight at a time: concurrency without flooding a busy machine
  for (let i = 0; i < samples.length; i += 8) {
    const batch = samples.slice(i, i + 8).map(async (r) => {
      const response = await request(`${server.url}${r.path}`, {
        method: r.method as 'GET',
        headers: headersOf(r),
        ...(r.body !== undefined && r.method !== 'GET' && r.method !== 'HEAD' && { body: r.body }),
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      })
      await response.body.dump()
      return response.statusCode
    })
    statuses.push(...(await Promise.all(batch)))
  }
  assert.equal(statuses.length, samples.length)
  assert.ok(
    statuses.every((s) => s < 500),
    `statuses: ${JSON.stringify(statuses.filter((s) => s >= 500))}`,
  )

  const port = Number(new URL(server.url).port)
  const raw = fc.sample(
    fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc
        .tuple(
          method,
          fc.string({ maxLength: 30 }),
          fc.constantFrom('HTTP/1.1', 'HTTP/9.9', 'HTTP/1.1\r\nContent-Length: -1', ''),
        )
        .map(([m, p, v]) => `${m} /${p} ${v}\r\nHost: x\r\n\r\n`),
      fc.constant('POST /check_in/v2/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"sess'),
      fc.constant('GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'),
    ),
    fuzzParameters(40, 3),
  )
  for (const bytes of raw) {
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      let text = ''
      socket.setEncoding('latin1')
      socket.on('data', (chunk: string) => {
        text += chunk
      })
      socket.on('error', () => resolve(text))
      socket.on('close', () => resolve(text))
      socket.setTimeout(500, () => socket.destroy())
      socket.end(bytes)
    })
    assert.doesNotMatch(answer, /^HTTP\/1\.[01] 5/, `${JSON.stringify(bytes)} -> ${answer.slice(0, 200)}`)
  }
  const health = await request(`${server.url}/health`)
  assert.equal(health.statusCode, 200)
  await health.body.dump()
})
