import assert from 'node:assert/strict'
import { test } from 'node:test'
import { shareIntegralMs } from '../../src/profile/stages.js'
import { okHandler, oneStepFlow, runEngine, startServer, totals } from './helpers.js'

/**
 * The schedule over real HTTP: constant arrivals follow the stages exactly (the count is fixed by
 * the stages), second by second within timing jitter; Poisson arrivals match the mean rate.
 */
const STAGES = [
  { durationMs: 2000, target: 1 },
  { durationMs: 2000, target: 1 },
]
const PER_SECOND = 200

test('constant arrivals follow a ramp and a hold: exact total, each second close to its share', async () => {
  const server = await startServer(okHandler)
  try {
    const { seconds } = await runEngine({
      target: server.url,
      flows: [oneStepFlow(60 * PER_SECOND)],
      stages: STAGES,
      scale: 1,
      arrival: 'constant',
      seed: 1,
      maxInFlight: 1000,
      timeoutMs: 5000,
    })
    const expected = (fromMs: number, toMs: number) =>
      (PER_SECOND / 1000) * (shareIntegralMs(STAGES, toMs) - shareIntegralMs(STAGES, fromMs))
    const ping = totals(seconds, 'ping')
    assert.equal(ping.asked, Math.round(expected(0, 4000))) // 600
    assert.equal(ping.ok, ping.asked)
    for (const second of seconds.slice(0, 4)) {
      const want = expected(second.t * 1000, (second.t + 1) * 1000)
      const got = second.endpoints.ping!.asked
      assert.ok(Math.abs(got - want) <= 5 + want * 0.15, `second ${second.t}: asked ${got}, expected ${want}`)
    }
    assert.deepEqual(
      seconds.slice(0, 4).map((s) => s.share),
      [0.5, 1, 1, 1],
    )
  } finally {
    await server.close()
  }
})

test('Poisson arrivals: the count matches the stages within 4 sigma', async () => {
  const server = await startServer(okHandler)
  try {
    const { seconds } = await runEngine({
      target: server.url,
      flows: [oneStepFlow(60 * PER_SECOND)],
      stages: STAGES,
      scale: 1,
      arrival: 'poisson',
      seed: 3,
      maxInFlight: 1000,
      timeoutMs: 5000,
    })
    const ping = totals(seconds, 'ping')
    const mean = (PER_SECOND / 1000) * shareIntegralMs(STAGES, 4000)
    assert.ok(Math.abs(ping.asked - mean) < 4 * Math.sqrt(mean), `asked ${ping.asked}, mean ${mean}`)
    assert.equal(ping.ok, ping.asked)
  } finally {
    await server.close()
  }
})

test('a start time in the future: nothing is sent before it', async () => {
  let first = 0
  const server = await startServer((req, res) => {
    first ||= Date.now()
    okHandler(req, res)
  })
  try {
    const startAtMs = Date.now() + 700
    const { result } = await runEngine({
      target: server.url,
      flows: [oneStepFlow(60 * 50)],
      stages: [{ durationMs: 500, target: 1 }],
      startShare: 1,
      startAtMs,
      scale: 1,
      arrival: 'constant',
      seed: 1,
      maxInFlight: 100,
      timeoutMs: 5000,
    })
    assert.equal(result.startedAtMs, startAtMs)
    assert.ok(first >= startAtMs, `first request ${first - startAtMs} ms after the start time`)
    assert.equal(result.arrivals, 25)
  } finally {
    await server.close()
  }
})
