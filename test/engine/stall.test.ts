import assert from 'node:assert/strict'
import { performance } from 'node:perf_hooks'
import { test } from 'node:test'
import { oneStepFlow, pctMs, runEngine, startServer, totals } from './helpers.js'

/**
 * Coordinated omission: a server that stalls for 1 s every 4 s (it holds every request that
 * arrives during the stall until the stall ends). An open-model generator keeps sending on
 * schedule during the stall, so a quarter of the requests wait 0..1000 ms: measured from the
 * intended time, p99 ≈ 960 ms. A closed-loop tool would send nothing during the stall and report
 * a p99 of a few ms. The send lag must stay small: the engine does not wait for the server.
 */
test('a server stalling 1 s in every 4: p99 from the intended time ≈ 960 ms, send lag small', async (t) => {
  const periodMs = 4000
  const stallMs = 1000
  const held: (() => void)[] = []
  let origin = 0
  const inStall = () => (performance.now() - origin) % periodMs >= periodMs - stallMs
  const release = setInterval(() => {
    if (!inStall()) for (const answer of held.splice(0)) answer()
  }, 2)
  const server = await startServer((req, res) => {
    req.resume()
    const answer = () => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"ok":true}')
    }
    if (inStall()) held.push(answer)
    else answer()
  })
  try {
    origin = performance.now()
    // 8 s at 100/s, constant arrivals: two stalls, at 3-4 s and 7-8 s
    const { seconds, result } = await runEngine({
      target: server.url,
      flows: [oneStepFlow(60 * 100)],
      stages: [{ durationMs: 8000, target: 1 }],
      startShare: 1,
      scale: 1,
      arrival: 'constant',
      seed: 1,
      maxInFlight: 1000,
      timeoutMs: 10_000,
    })
    const ping = totals(seconds, 'ping')
    assert.equal(ping.asked, 800)
    assert.equal(ping.ok, 800)
    assert.equal(result.abandonedInFlight, 0)
    const p99 = pctMs(ping.latency, 99)
    const p50 = pctMs(ping.latency, 50)
    const lagP99 = pctMs(ping.sendLag, 99)
    t.diagnostic(`p50 ${p50} ms, p99 ${p99} ms, send lag p99 ${lagP99} ms`)
    assert.ok(p99 >= 800, `p99 from the intended time ${p99} ms should show the stall (≈ 960 ms)`)
    assert.ok(p99 <= 1300, `p99 ${p99} ms`)
    assert.ok(p50 < 200, `median ${p50} ms: three quarters of the requests are not stalled`)
    assert.ok(lagP99 < 200, `send lag p99 ${lagP99} ms: arrivals leave on schedule during stalls`)
    // requests kept leaving during the stalls (seconds 3 and 7): asked did not collapse
    for (const second of seconds.slice(0, 8)) {
      assert.ok(second.endpoints.ping!.asked >= 70, `t=${second.t}: asked ${second.endpoints.ping!.asked}`)
    }
  } finally {
    clearInterval(release)
    await server.close()
  }
})
