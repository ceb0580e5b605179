import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { summarySchema } from '../../src/model/results.js'

/**
 * `run --mock-time-scale F` against the embedded stand-in: its delays are F times staging's, so the
 * built-in latency SLOs are judged at F times their bounds (as capacity judges them); the user's
 * own thresholds, rates and counts are judged as written.
 */
const BIN = fileURLToPath(new URL('../../../bin/checkin-load.js', import.meta.url))
const out = mkdtempSync(join(tmpdir(), 'checkin-load-time-scaled-'))
after(() => rmSync(out, { recursive: true, force: true }))

function run(extra: readonly string[], runId: string) {
  const result = spawnSync(
    process.execPath,
    [BIN, 'run', '--duration', '2s', '--scale', '0.1', '--quiet', '--out', out, '--run-id', runId, ...extra],
    { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 },
  )
  assert.ok(result.status === 0 || result.status === 99, `exit ${result.status}: ${result.stderr}`)
  const summary = summarySchema.parse(JSON.parse(readFileSync(join(out, runId, 'summary.json'), 'utf8')))
  return new Map(summary.thresholds.map((t) => [`${t.metric}: ${t.expr}`, t]))
}

test('the built-in latency SLOs scale with --mock-time-scale; the user thresholds do not', () => {
  const scaled = run(
    ['--mock-time-scale', '0.1', '--threshold', 'http_req_duration{endpoint:get_session}: p(95)<900'],
    'scaled',
  )
  assert.ok(scaled.has('http_req_duration{endpoint:post_session}: p(95)<350'), [...scaled.keys()].join('\n'))
  assert.ok(scaled.has('http_req_duration{endpoint:get_session}: p(95)<600'))
  assert.ok(scaled.has('http_req_duration: p(99)<1000'))
  assert.ok(scaled.has('http_req_duration{endpoint:get_session}: p(95)<900'), 'the user threshold as written')
  assert.ok(scaled.has('http_req_failed: rate<0.01'))
  assert.ok(scaled.has('dropped: count==0'))
  const plain = run([], 'plain')
  assert.ok(plain.has('http_req_duration{endpoint:post_session}: p(95)<3500'), [...plain.keys()].join('\n'))
})
