import assert from 'node:assert/strict'
import { test } from 'node:test'
import { resolveRunConfig } from '../config/load.js'
import { sharedRunId } from './run-id.js'

const START = Date.parse('2026-12-04T18:00:00Z')

function config(overrides: Record<string, unknown>) {
  return resolveRunConfig({ flags: { durationMs: 60_000, ...overrides } as never })
}

test('shards of one start and the same flags share a run id; the shard and outputs do not count', () => {
  const a = sharedRunId(config({ shard: { index: 0, count: 2 }, startAtMs: START, out: 'shard-0' }))
  const b = sharedRunId(
    config({
      shard: { index: 1, count: 2 },
      startAtMs: START,
      out: 'shard-1',
      quiet: true,
      prometheusPort: 9,
    }),
  )
  assert.match(a!, /^2026-12-04T18-00-00Z-[0-9a-f]{6}$/)
  assert.equal(a, b)
})

test('another start, another load or no shard: another id (or none)', () => {
  const base = { shard: { index: 0, count: 2 }, startAtMs: START }
  const id = sharedRunId(config(base))
  assert.notEqual(sharedRunId(config({ ...base, startAtMs: START + 1000 })), id)
  assert.notEqual(sharedRunId(config({ ...base, scale: 2 })), id)
  assert.notEqual(sharedRunId(config({ ...base, target: 'http://127.0.0.1:1' })), id)
  assert.equal(sharedRunId(config({ startAtMs: START })), undefined)
  assert.equal(sharedRunId(config({ shard: { index: 0, count: 2 } })), undefined)
})

test('header values do not reach the id (it is printed everywhere); header names do', () => {
  const base = { shard: { index: 0, count: 2 }, startAtMs: START }
  const a = sharedRunId(config({ ...base, headers: { 'x-api-key': 'secret-1' } }))
  assert.equal(sharedRunId(config({ ...base, headers: { 'x-api-key': 'secret-2' } })), a)
  assert.notEqual(sharedRunId(config({ ...base, headers: { 'x-other': 'secret-1' } })), a)
})
