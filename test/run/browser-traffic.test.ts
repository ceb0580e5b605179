import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { runCommand } from '../../src/commands/run.js'
import { resolveRunConfig } from '../../src/config/load.js'
import type { RunConfigInput } from '../../src/config/schema.js'
import { CHECKIN_ROUTES, type CheckinEndpointId } from '../../src/model/endpoints.js'
import type { Summary } from '../../src/model/results.js'
import { checkinProfile, DEFAULT_ESTIMATES, deriveRates } from '../../src/profile/index.js'

/**
 * What goes on the wire, seen by a recording server on loopback: it keeps method, path, headers
 * and body of every request and answers 200 with the CORS headers a vets-api at va.gov gives
 * (so every visit runs to its end). The runs use constant arrivals: counts are exact to a visit.
 */
interface Recorded {
  readonly method: string
  readonly path: string
  readonly headers: IncomingMessage['headers']
  readonly body: string
}

let server: Server
let target: string
let recorded: Recorded[] = []
const out = mkdtempSync(join(tmpdir(), 'checkin-load-browser-'))

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      recorded.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      })
      const cors =
        req.headers.origin === undefined
          ? {}
          : {
              'access-control-allow-origin': req.headers.origin,
              'access-control-allow-credentials': 'true',
              vary: 'Origin',
            }
      if (req.method === 'OPTIONS') {
        res.writeHead(200, {
          ...cors,
          'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD',
          'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '',
          'access-control-max-age': '7200',
          'content-length': '0',
        })
        res.end()
        return
      }
      const body = '{"permissions":"read.full","status":"success"}'
      res.writeHead(200, { ...cors, 'content-type': 'application/json', 'content-length': body.length })
      res.end(body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  target = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

after(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  rmSync(out, { recursive: true, force: true })
})

const HOLD_MS = 5000

let lastSummary: Summary | undefined

async function record(runId: string, flags: Partial<RunConfigInput>): Promise<Recorded[]> {
  recorded = []
  const config = resolveRunConfig({
    flags: {
      target,
      stages: [{ durationMs: HOLD_MS, target: 1 }],
      startShare: 1,
      arrival: 'constant',
      out,
      runId,
      quiet: true,
      seed: 7,
      ...flags,
    },
  })
  const outcome = await runCommand(config, { warmUp: false, handleSignals: false })
  assert.equal(outcome.endReason, 'completed')
  lastSummary = outcome.summary
  return recorded
}

/** The endpoint a recorded API request is, by method and route (a trailing slash allowed). */
function endpointOf(request: Recorded): CheckinEndpointId {
  const path = request.path.split('?')[0]!.replace(/\/$/, '')
  for (const [id, { method, route }] of Object.entries(CHECKIN_ROUTES)) {
    const pattern = new RegExp(`^${route.replace(/:[a-z_]+/g, '[0-9a-f-]{36}')}$`)
    if (request.method === method && pattern.test(path)) return id as CheckinEndpointId
  }
  throw new Error(`not a check-in request: ${request.method} ${request.path}`)
}

function keysOf(value: unknown): string[] {
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([key, inner]) => [key, ...keysOf(inner)])
  return []
}

function assertProfileCounts(api: readonly Recorded[]) {
  const counts = new Map<string, number>()
  for (const request of api) counts.set(endpointOf(request), (counts.get(endpointOf(request)) ?? 0) + 1)
  for (const rate of deriveRates(checkinProfile(DEFAULT_ESTIMATES), 1).endpoints) {
    const expected = rate.rps * (HOLD_MS / 1000)
    const got = counts.get(rate.endpoint) ?? 0
    assert.ok(
      Math.abs(got - expected) <= expected * 0.03,
      `${rate.endpoint}: ${got} requests, the profile asks ${expected.toFixed(1)} (±3%)`,
    )
  }
}

test('browser traffic: the web app requests, each distinct URL of a visit preflighted once', async () => {
  const all = await record('browser', { traffic: 'browser', origin: 'https://staging.va.gov' })
  const api = all.filter((r) => r.method !== 'OPTIONS')
  const preflights = all.filter((r) => r.method === 'OPTIONS')
  assertProfileCounts(api)
  for (const request of api) {
    const where = `${request.method} ${request.path}`
    assert.equal(request.headers.origin, 'https://staging.va.gov', where)
    assert.equal(request.headers['x-key-inflection'], 'camel', where)
    assert.ok(['check-in', 'pre-check-in'].includes(String(request.headers['source-app-name'])), where)
    assert.equal(request.headers['x-csrf-token'], 'null', where)
    if (request.method === 'POST') {
      assert.ok(request.path.endsWith('/'), `${where}: the trailing slash`)
      assert.equal(request.headers['content-type'], 'application/json', where)
      const body = JSON.parse(request.body)
      assert.ok(
        keysOf(body).every((key) => !key.includes('_')),
        `${where}: camelCase body ${request.body}`,
      )
      if (endpointOf(request) === 'post_session')
        assert.ok(['dayOf', 'preCheckIn'].includes(body.session.checkInType), `${where}: ${request.body}`)
    } else {
      assert.equal(request.body, '', where)
    }
  }
  // a preflight before every request: as many as the API requests, one per URL of a visit
  assert.equal(preflights.length, api.length)
  const perUrl = new Map<string, number>()
  for (const p of preflights) perUrl.set(p.path, (perUrl.get(p.path) ?? 0) + 1)
  const sameUrl = (path: string) => api.filter((r) => r.path === path).length
  for (const [path, n] of perUrl) {
    // a URL with the visit's UUID: once per visit, as the request that follows; a collection
    // URL (POST .../sessions/): once per visit too, so as often as the POSTs to it
    assert.equal(n, sameUrl(path), `${path}: ${n} preflights`)
  }
  // the results: preflights in a row of their own, judged by their own SLOs, not in the total
  const summary = lastSummary!
  assert.equal(summary.endpoints.preflight?.requests, preflights.length)
  assert.equal(summary.total.requests, api.length)
  assert.deepEqual(summary.profile.traffic, {
    kind: 'browser',
    origin: 'https://staging.va.gov',
    perEndpoint: false,
  })
  assert.deepEqual(
    summary.thresholds.filter((t) => t.metric.includes('preflight')).map((t) => [t.metric, t.ok]),
    [
      ['http_req_duration{endpoint:preflight}', true],
      ['http_req_failed{endpoint:preflight}', true],
    ],
  )
  for (const p of preflights) {
    assert.equal(p.headers.origin, 'https://staging.va.gov')
    const method = String(p.headers['access-control-request-method'])
    assert.ok(['GET', 'POST'].includes(method))
    assert.equal(
      p.headers['access-control-request-headers'],
      method === 'GET'
        ? 'source-app-name,x-csrf-token,x-key-inflection'
        : 'content-type,source-app-name,x-csrf-token,x-key-inflection',
    )
  }
})

test('--traffic api: bare calls as before, no OPTIONS', async () => {
  const all = await record('api', { traffic: 'api' })
  assert.equal(all.filter((r) => r.method === 'OPTIONS').length, 0)
  assertProfileCounts(all)
  for (const request of all) {
    assert.equal(request.headers.origin, undefined)
    assert.equal(request.headers['x-key-inflection'], undefined)
    assert.ok(!request.path.endsWith('/'), request.path)
  }
  const login = all.find((r) => r.method === 'POST' && endpointOf(r) === 'post_session')!
  assert.ok('last_name' in JSON.parse(login.body).session)
})

test('--per-endpoint: the same table, each request a new visit with its own UUID', async () => {
  const all = await record('per-endpoint', { traffic: 'api', perEndpoint: true })
  assertProfileCounts(all)
  // with sessions, a visit's four requests share a UUID; here every request carries a new one
  const uuids = all.map(
    (r) => /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.exec(r.path + r.body)![0],
  )
  assert.equal(new Set(uuids).size, uuids.length)
  assert.ok(all.every((r) => r.headers.cookie === undefined))
})
