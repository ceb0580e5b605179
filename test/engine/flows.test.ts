import assert from 'node:assert/strict'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { test } from 'node:test'
import { checkinVisitData } from '../../src/checkin/index.js'
import type { FlowSpec } from '../../src/profile/types.js'
import { okHandler, runEngine, startServer, totals } from './helpers.js'

/**
 * A visit's steps over real HTTP: cookies set by one step are sent by the next, templates are
 * filled per visit, a failed step ends the visit, think time delays the next step, seeds replay.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

const LOGIN_FLOW: FlowSpec = {
  name: 'login_then_read',
  arrivalsPerMinute: 60 * 40,
  steps: [
    {
      endpoint: 'login',
      method: 'POST',
      path: '/login',
      body: { session: { uuid: '{{uuid}}', dob: '{{dob}}', last_name: '{{lastName}}' } },
      expectStatus: [200],
    },
    { endpoint: 'read', method: 'GET', path: '/data/{{uuid}}?x=1', expectStatus: [200] },
  ],
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => {
      text += chunk
    })
    req.on('end', () => resolve(text))
  })
}

/** POST /login sets sid=<uuid>; GET /data/<uuid> answers 401 unless the cookie names that uuid. */
function sessionServer(log: { bodies: unknown[]; unauthorized: number; reads: string[] }) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req)
    if (req.method === 'POST' && req.url === '/login') {
      const parsed = JSON.parse(body) as { session: { uuid: string; dob: string; last_name: string } }
      log.bodies.push(parsed)
      res.writeHead(200, {
        'content-type': 'application/json',
        'set-cookie': [`sid=${parsed.session.uuid}; Path=/; HttpOnly`, 'theme=dark; Max-Age=3600'],
      })
      res.end('{"permissions":"read.full"}')
      return
    }
    const match = /^\/data\/([^?]+)\?x=1$/.exec(req.url ?? '')
    const cookie = req.headers.cookie ?? ''
    if (match && cookie.includes(`sid=${match[1]}`) && cookie.includes('theme=dark')) {
      log.reads.push(match[1]!)
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"ok":true}')
    } else {
      log.unauthorized++
      res.writeHead(401)
      res.end()
    }
  }
}

test('each visit logs in, keeps its cookies and reads its own data: no 401, templates filled', async () => {
  const log = { bodies: [] as unknown[], unauthorized: 0, reads: [] as string[] }
  const server = await startServer(sessionServer(log))
  try {
    const { seconds, result } = await runEngine({
      target: server.url,
      flows: [LOGIN_FLOW],
      stages: [{ durationMs: 2000, target: 1 }],
      startShare: 1,
      scale: 1,
      arrival: 'constant',
      seed: 7,
      maxInFlight: 500,
      timeoutMs: 5000,
      data: checkinVisitData('2026-11-27'),
    })
    assert.equal(result.arrivals, 80)
    assert.equal(log.unauthorized, 0)
    const login = totals(seconds, 'login')
    const read = totals(seconds, 'read')
    assert.deepEqual([login.asked, login.ok, read.asked, read.ok], [80, 80, 80, 80])
    assert.deepEqual(read.status, { '200': 80 })
    assert.equal(new Set(log.reads).size, 80, 'every visit has its own uuid')
    for (const body of log.bodies as { session: { uuid: string; dob: string; last_name: string } }[]) {
      assert.match(body.session.uuid, UUID)
      assert.match(body.session.dob, /^\d{4}-\d{2}-\d{2}$/)
      assert.ok(body.session.last_name.length > 0)
    }
  } finally {
    await server.close()
  }
})

test('the same seed sends the same visits; another seed others', async () => {
  const run = async (seed: number) => {
    const log = { bodies: [] as unknown[], unauthorized: 0, reads: [] as string[] }
    const server = await startServer(sessionServer(log))
    try {
      await runEngine({
        target: server.url,
        flows: [{ ...LOGIN_FLOW, arrivalsPerMinute: 60 * 20 }],
        stages: [{ durationMs: 1000, target: 1 }],
        startShare: 1,
        scale: 1,
        arrival: 'poisson',
        seed,
        maxInFlight: 500,
        timeoutMs: 5000,
        data: checkinVisitData('2026-11-27'),
      })
    } finally {
      await server.close()
    }
    return log.reads
  }
  const a = await run(11)
  const b = await run(11)
  const c = await run(12)
  assert.ok(a.length > 5)
  assert.deepEqual([...a].sort(), [...b].sort())
  assert.notDeepEqual([...a].sort(), [...c].sort())
})

test('a failed step ends the visit: its later steps are neither asked nor dropped', async () => {
  let calls = 0
  const server = await startServer((req, res) => {
    req.resume()
    calls++
    res.writeHead(req.url === '/first' ? 503 : 200)
    res.end()
  })
  try {
    const { seconds } = await runEngine({
      target: server.url,
      flows: [
        {
          name: 'f',
          arrivalsPerMinute: 60 * 20,
          steps: [
            { endpoint: 'first', method: 'GET', path: '/first' },
            { endpoint: 'second', method: 'GET', path: '/second' },
          ],
        },
      ],
      stages: [{ durationMs: 1000, target: 1 }],
      startShare: 1,
      scale: 1,
      arrival: 'constant',
      seed: 1,
      maxInFlight: 100,
      timeoutMs: 5000,
    })
    const first = totals(seconds, 'first')
    const second = totals(seconds, 'second')
    assert.deepEqual([first.asked, first.requests, first.ok], [20, 20, 0])
    assert.deepEqual(first.errors, { http_5xx: 20 })
    assert.deepEqual(first.status, { '503': 20 })
    assert.deepEqual([second.asked, second.requests, second.dropped], [0, 0, 0])
    assert.equal(calls, 20)
  } finally {
    await server.close()
  }
})

test('expectStatus decides success; think time delays the next step and its intended time', async () => {
  const firstDone = new Map<string, number>()
  const gaps: number[] = []
  const server = await startServer((req, res) => {
    req.resume()
    const id = req.headers['x-visit'] as string
    if (req.url === '/create') {
      res.writeHead(201)
      res.end(() => firstDone.set(id, performance.now()))
    } else {
      gaps.push(performance.now() - firstDone.get(id)!)
      res.writeHead(200)
      res.end()
    }
  })
  try {
    const { seconds } = await runEngine({
      target: server.url,
      flows: [
        {
          name: 'f',
          arrivalsPerMinute: 60 * 10,
          steps: [
            {
              endpoint: 'create',
              method: 'POST',
              path: '/create',
              headers: { 'x-visit': '{{uuid}}' },
              expectStatus: [201],
            },
            {
              endpoint: 'next',
              method: 'GET',
              path: '/next',
              headers: { 'x-visit': '{{uuid}}' },
              thinkTimeMs: 150,
            },
          ],
        },
      ],
      stages: [{ durationMs: 1000, target: 1 }],
      startShare: 1,
      scale: 1,
      arrival: 'constant',
      seed: 1,
      maxInFlight: 100,
      timeoutMs: 5000,
      data: checkinVisitData(),
    })
    assert.equal(totals(seconds, 'create').ok, 10)
    assert.equal(totals(seconds, 'next').ok, 10)
    assert.equal(gaps.length, 10)
    for (const gap of gaps) assert.ok(gap >= 140, `think time respected: ${gap} ms`)
  } finally {
    await server.close()
  }
})

test('shards: the slices of every flow add up to the whole, arrival for arrival', async () => {
  const server = await startServer(okHandler)
  try {
    const flows: FlowSpec[] = [
      { name: 'a', arrivalsPerMinute: 60 * 37, steps: [{ endpoint: 'a', method: 'GET', path: '/a' }] },
      { name: 'b', arrivalsPerMinute: 60 * 11, steps: [{ endpoint: 'b', method: 'GET', path: '/b' }] },
    ]
    const common = {
      target: server.url,
      flows,
      stages: [{ durationMs: 1500, target: 1 }],
      scale: 1,
      arrival: 'poisson' as const,
      seed: 99,
      maxInFlight: 500,
      timeoutMs: 5000,
    }
    const whole = await runEngine(common)
    const parts = await Promise.all(
      [0, 1, 2].map((index) => runEngine({ ...common, shard: { index, count: 3 } })),
    )
    for (const endpoint of ['a', 'b']) {
      const sum = parts.reduce((n, part) => n + totals(part.seconds, endpoint).asked, 0)
      assert.equal(sum, totals(whole.seconds, endpoint).asked, endpoint)
    }
    assert.equal(
      parts.reduce((n, part) => n + part.result.arrivals, 0),
      whole.result.arrivals,
    )
  } finally {
    await server.close()
  }
})
