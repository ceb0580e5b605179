import assert from 'node:assert/strict'
import { test } from 'node:test'
import { oneStepFlow, pctMs, runEngine, startServer, totals } from './helpers.js'

/**
 * The case in small: more visits in flight than the shared pool has connections. The
 * requests then wait for a connection; that wait is the pool's, recorded apart, and the send lag
 * (the generator's own lateness) stays small. With a connection per visit nothing waits.
 */
const slowServer = () =>
  startServer((req, res) => {
    req.resume()
    req.on('end', () => setTimeout(() => res.end('{}'), 200))
  })

test('the shared pool full: the wait for a connection apart from the send lag', async () => {
  const server = await slowServer()
  try {
    const { seconds, result } = await runEngine({
      target: server.url,
      flows: [oneStepFlow(60 * 50)], // 50/s x 0.2 s = 10 in flight, behind 2 connections
      stages: [{ durationMs: 2000, target: 1 }],
      startShare: 1,
      scale: 1,
      arrival: 'constant',
      seed: 1,
      maxInFlight: 1000,
      timeoutMs: 10_000,
      connections: 2,
    })
    const ping = totals(seconds, 'ping')
    assert.equal(ping.ok, 100)
    assert.equal(result.connections, 2)
    const waited = seconds.reduce((n, s) => n + (s.generator.waitedForConnection ?? 0), 0)
    const worstWait = Math.max(...seconds.map((s) => s.generator.connectionWaitMsP99 ?? 0))
    const lagP99 = pctMs(ping.sendLag, 99)
    assert.ok(waited >= 90, `${waited} of 100 waited for one of 2 connections`)
    // 2 connections serve 10/s: the 100 requests of 2 s queue for up to ~8 s
    assert.ok(worstWait > 1000, `connection wait p99 ${worstWait} ms`)
    assert.ok(lagP99 < 100, `send lag p99 ${lagP99} ms: the generator was on time`)
  } finally {
    await server.close()
  }
})

test('a connection per visit: nothing waits for a connection', async () => {
  const server = await slowServer()
  try {
    const { seconds, result } = await runEngine({
      target: server.url,
      flows: [oneStepFlow(60 * 50)],
      stages: [{ durationMs: 2000, target: 1 }],
      startShare: 1,
      scale: 1,
      arrival: 'constant',
      seed: 1,
      maxInFlight: 1000,
      timeoutMs: 10_000,
      connectionPerVisit: true,
    })
    assert.equal(totals(seconds, 'ping').ok, 100)
    assert.equal(result.connections, 100)
    assert.ok(seconds.every((s) => s.generator.waitedForConnection === undefined))
    assert.ok(pctMs(totals(seconds, 'ping').latency, 50) < 400)
  } finally {
    await server.close()
  }
})
