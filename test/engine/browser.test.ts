import assert from 'node:assert/strict'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { test } from 'node:test'
import { checkinVisitData } from '../../src/checkin/index.js'
import type { Transport } from '../../src/engine/index.js'
import type { SeriesSecond } from '../../src/model/results.js'
import { endpointIds, resolveProfile } from '../../src/profile/index.js'
import { runEngine, startServer, totals } from './helpers.js'

const endpointIdsOf = (seconds: readonly SeriesSecond[]) => [
  ...new Set(seconds.flatMap((s) => Object.keys(s.endpoints))),
]

/**
 * Browser traffic in the engine: a connection per visit, preflights without cookies, and the
 * CORS check of every answer (`cors` when the browser would refuse it). The server here plays
 * vets-api's Rack::Cors for the origins it is given.
 */
const ORIGIN = 'https://staging.va.gov'

interface Seen {
  method: string
  path: string
  cookie: string | undefined
  socket: number
}

function corsServer(allowed: readonly string[], seen: Seen[], preflightStatus = 200) {
  const sockets = new WeakMap<object, number>()
  let nextSocket = 0
  return (req: IncomingMessage, res: ServerResponse) => {
    req.resume()
    req.on('end', () => {
      let socket = sockets.get(req.socket)
      if (socket === undefined) {
        socket = nextSocket++
        sockets.set(req.socket, socket)
      }
      seen.push({ method: req.method!, path: req.url!, cookie: req.headers.cookie, socket })
      const origin = req.headers.origin
      const cors =
        origin !== undefined && allowed.includes(origin)
          ? { 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true' }
          : {}
      if (req.method === 'OPTIONS') {
        res.writeHead(preflightStatus, { ...cors, 'content-length': '0' })
        res.end()
        return
      }
      const login = req.method === 'POST' && req.url!.startsWith('/check_in/v2/sessions')
      res.writeHead(200, {
        ...cors,
        'content-type': 'application/json',
        ...(login && { 'set-cookie': 'api_session=abc; path=/; HttpOnly' }),
      })
      res.end('{}')
    })
  }
}

async function runBrowser(url: string, transport: Transport, connectionPerVisit = true) {
  const profile = resolveProfile(
    'vets-api-checkin',
    { checkInsPerHour: 360_000, preCheckInsPerHour: 0 },
    { traffic: 'browser', origin: ORIGIN },
  )
  return runEngine({
    target: url,
    flows: profile.flows,
    endpoints: endpointIds(profile),
    stages: [{ durationMs: 1500, target: 1 }],
    startShare: 1,
    scale: 1,
    arrival: 'constant',
    seed: 3,
    maxInFlight: 2000,
    timeoutMs: 5000,
    transport,
    connectionPerVisit,
    data: checkinVisitData('2026-12-04'),
  })
}

for (const transport of ['raw', 'undici'] as const) {
  test(`${transport}: a connection per visit; preflights without the session cookie`, async () => {
    const seen: Seen[] = []
    const server = await startServer(corsServer([ORIGIN], seen))
    try {
      const { result, seconds } = await runBrowser(server.url, transport)
      assert.equal(result.droppedArrivals, 0)
      const visits = result.arrivals
      assert.ok(visits >= 140 && visits <= 152, `${visits} visits`)
      // 4 requests and 4 preflights a visit, all answered
      const errors = Object.fromEntries(endpointIdsOf(seconds).map((id) => [id, totals(seconds, id).errors]))
      assert.equal(seen.length, visits * 8, JSON.stringify(errors))
      assert.equal(totals(seconds, 'preflight').ok, visits * 4)
      assert.equal(totals(seconds, 'post_patient_check_in').ok, visits)
      // one connection a visit: as many sockets as visits, each carrying 8 requests
      const perSocket = new Map<number, number>()
      for (const s of seen) perSocket.set(s.socket, (perSocket.get(s.socket) ?? 0) + 1)
      assert.equal(perSocket.size, visits)
      assert.ok([...perSocket.values()].every((n) => n === 8))
      assert.equal(result.connections, visits)
      // the cookie set at login goes with the later requests, never with a preflight
      assert.ok(seen.filter((s) => s.method === 'OPTIONS').every((s) => s.cookie === undefined))
      const afterLogin = seen.filter((s) => s.method === 'GET' && s.path.startsWith('/check_in/v2/patient'))
      assert.ok(afterLogin.every((s) => s.cookie === 'api_session=abc'))
    } finally {
      await server.close()
    }
  })

  test(`${transport}: an origin the server does not allow is a cors error, and the visit stops`, async () => {
    const seen: Seen[] = []
    const server = await startServer(corsServer(['https://www.va.gov'], seen))
    try {
      const { result, seconds } = await runBrowser(server.url, transport)
      const preflight = totals(seconds, 'preflight')
      assert.equal(preflight.requests, result.arrivals)
      assert.deepEqual(preflight.errors, { cors: result.arrivals })
      assert.deepEqual(preflight.status, { '200': result.arrivals }) // the status came; the browser refused it
      // no request after the refused preflight
      assert.equal(totals(seconds, 'get_session').requests, 0)
      assert.ok(seen.every((s) => s.method === 'OPTIONS'))
    } finally {
      await server.close()
    }
  })
}

test('a preflight answered 404 is a cors error, even with the CORS headers', async () => {
  const seen: Seen[] = []
  const server = await startServer(corsServer([ORIGIN], seen, 404))
  try {
    const { result, seconds } = await runBrowser(server.url, 'raw')
    assert.deepEqual(totals(seconds, 'preflight').errors, { cors: result.arrivals })
  } finally {
    await server.close()
  }
})

test('--connections: the shared pool (a few connections for every visit)', async () => {
  const seen: Seen[] = []
  const server = await startServer(corsServer([ORIGIN], seen))
  try {
    const { result } = await runBrowser(server.url, 'raw', false)
    assert.ok(new Set(seen.map((s) => s.socket)).size < result.arrivals / 4)
  } finally {
    await server.close()
  }
})
