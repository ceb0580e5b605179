import assert from 'node:assert/strict'
import { performance } from 'node:perf_hooks'
import { test } from 'node:test'
import { okHandler, oneStepFlow, pctMs, runEngine, startServer, totals } from './helpers.js'

/**
 * The pool opens connections when the connections keep requests waiting (a slow server: see
 * stall.test.ts), not when the generator itself fell behind. Here the process stalls (a 60 ms
 * busy loop, as a GC pause or a descheduled VM would) while 2000 arrivals a second come due:
 * ~120 leave at once when it wakes, and the answers come from a server on the same loop as fast
 * as it can turn. More connections cannot make that faster (they only cost opening), and the
 * backlog drains on the connections the pool has. Before, a backlog waiting 3 ms on a busy loop
 * made the pool open 16 at a time: at 5000 req/s against nginx, 60–300 connections and a send
 * lag p99 of 10–100 ms after such stalls.
 */
test('a stall of the generator itself opens no connections: the backlog drains on those it has', async (t) => {
  const server = await startServer(okHandler)
  try {
    const stallMs = 60
    let stalledAt = 0
    const { seconds, result } = await runEngine(
      {
        target: server.url,
        flows: [oneStepFlow(60 * 2000)],
        stages: [{ durationMs: 1500, target: 1 }],
        startShare: 1,
        scale: 1,
        arrival: 'constant',
        seed: 1,
        maxInFlight: 10_000,
        timeoutMs: 10_000,
      },
      () => {
        setTimeout(() => {
          stalledAt = performance.now()
          while (performance.now() - stalledAt < stallMs) {
            // the generator's own stall: busy, not waiting on the network
          }
        }, 700)
      },
    )
    assert.ok(stalledAt > 0, 'the stall happened during the run')
    const ping = totals(seconds, 'ping')
    assert.equal(ping.asked, 3000)
    assert.equal(ping.ok, 3000)
    const lagMax = pctMs(ping.sendLag, 100)
    t.diagnostic(
      `connections ${result.connections}, waited ${result.waitedForConnection}, send lag p50 ${pctMs(ping.sendLag, 50)} p99 ${pctMs(ping.sendLag, 99)} max ${lagMax} ms`,
    )
    // the stall is in the send lag (the arrivals during it left late)...
    assert.ok(lagMax >= stallMs * 0.8, `send lag max ${lagMax} ms should show the ${stallMs} ms stall`)
    // ...and no burst of new connections followed it (the pool opens up to 16 at a time; 1-5 here,
    // 77-299 before)
    assert.ok(
      result.connections < 16,
      `${result.connections} connections for 2000 req/s against a local server`,
    )
  } finally {
    await server.close()
  }
})
