import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { SeriesHeader } from '../../src/model/results.js'
import { expectedAsked } from './expected.js'
import { askedOf, mergedLatencyStats, readLines, readSummary, runCli, secondsOf } from './helpers.js'

/**
 * `run --workers 2` end to end: two worker processes (one shard each) and the embedded stand-in,
 * one live view, one results folder, one summary judged on the merged data, one exit code.
 */
const SCALE = 0.5
const DURATION_MS = 4000

test('run --workers 2: one results folder, exactly profile x scale x time, judged merged', async () => {
  const out = mkdtempSync(join(tmpdir(), 'checkin-load-workers-'))
  try {
    const expected = expectedAsked(SCALE, DURATION_MS)
    const total = Object.values(expected).reduce((a, b) => a + b, 0)
    const ran = await runCli([
      'run',
      '--workers',
      '2',
      '--duration',
      `${DURATION_MS}ms`,
      '--scale',
      String(SCALE),
      '--arrival',
      'constant',
      '--no-default-slos',
      // only the merged run has them all: each worker alone has half
      '--threshold',
      `http_reqs: count>=${total}`,
      '--out',
      out,
      '--run-id',
      'two-workers',
    ])
    assert.equal(ran.code, 0, ran.stderr + ran.stdout)
    assert.match(
      ran.stdout,
      /two-workers -> http:\/\/127\.0\.0\.1:\d+ \(embedded stand-in\), 2 worker processes/,
    )
    assert.match(ran.stdout, /✓ http_reqs: count>=\d+/)
    assert.deepEqual(readdirSync(out), ['two-workers'], 'one results folder')
    const dir = join(out, 'two-workers')
    for (const file of ['series.ndjson', 'summary.json', 'report.html'])
      assert.ok(existsSync(join(dir, file)), file)

    const lines = await readLines(dir)
    const header = lines[0] as SeriesHeader
    assert.equal(header.shard, undefined, 'the parent is the whole run')
    assert.equal(header.config.workers, 2)
    const seconds = secondsOf(lines)
    assert.deepEqual(
      seconds.map((s) => s.t),
      seconds.map((_, i) => i),
      'one line a second, in order',
    )
    for (const [endpoint, asked] of Object.entries(expected)) {
      assert.equal(askedOf(lines, endpoint), asked, `${endpoint}: asked`)
    }
    const summary = readSummary(dir)
    assert.equal(summary.endReason, 'completed')
    assert.equal(summary.passed, true)
    assert.equal(summary.total.requests, total)

    // nothing lost: the workers' own folders, whose sums and histograms are the parent's
    const shardDirs = [0, 1].map((i) => join(dir, 'shards', String(i), 'two-workers'))
    const shards = shardDirs.map(readSummary)
    assert.equal(summary.total.requests, shards[0]!.total.requests + shards[1]!.total.requests)
    for (const [i, shard] of shards.entries()) {
      assert.deepEqual(shard.shards, [{ index: i, count: 2 }])
      assert.equal(shard.passed, false, 'a worker alone does not reach the count')
    }
    for (const endpoint of [undefined, ...Object.keys(expected)]) {
      const stats = mergedLatencyStats(shards, endpoint)
      const got = endpoint === undefined ? summary.total.latencyMs : summary.endpoints[endpoint]!.latencyMs
      for (const p of ['p50', 'p95', 'p99'] as const)
        assert.equal(got[p], stats[p], `${endpoint ?? 'total'} ${p}`)
    }
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
})
