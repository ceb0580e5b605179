import assert from 'node:assert/strict'
import { test } from 'node:test'
import { warmUp } from '../../src/engine/warmup.js'
import { Recorder } from '../../src/metrics/index.js'
import { oneStepFlow } from './helpers.js'

/**
 * The warm-up's throwaway server answers in turn in the shapes a run meets (fastify, nginx,
 * cookies): each must be a valid answer the engine reads as a 200, or the warm-up would warm the
 * error path instead of the one the run takes. It runs flat out, asked more than it can do.
 */
test('warm-up: flat out against its own server, every answer shape read as a 200', async () => {
  const recorder = new Recorder(['ping'])
  await warmUp({ flows: [oneStepFlow(60)], endpoints: ['ping'], sink: recorder, durationMs: 300 })
  const second = recorder.fold(0, 1, { eventLoopLagMsP99: 0, cpuPct: 0, rssMb: 0, inFlight: 0 })
  const ping = second.endpoints.ping!
  assert.deepEqual(ping.errors, {})
  assert.deepEqual(Object.keys(ping.status), ['200'])
  assert.equal(ping.ok, ping.requests)
  // asked far above what it can answer: the excess arrivals were dropped, not queued
  assert.ok(ping.dropped > 0, `dropped ${ping.dropped}: the warm-up is asked more than it can do`)
  assert.ok(ping.requests >= 300, `${ping.requests} requests in 300 ms`)
})
