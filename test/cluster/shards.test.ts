import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { startMockServer } from '../../src/mock/index.js'
import type { SeriesHeader } from '../../src/model/results.js'
import { expectedAsked } from './expected.js'
import { askedOf, mergedLatencyStats, readLines, readSummary, runCli } from './helpers.js'

/**
 * The multi-machine path, simulated on one machine: two `checkin-load run --shard i/2` processes
 * from one shared --start-at against ONE stand-in, then `checkin-load merge`. The shards together
 * ask exactly what the profile asks (profile x scale x time), the merged counts are the shards'
 * sums and the stand-in's own counts, and the merged percentiles are those of the shards'
 * histograms added together.
 */

/** The stand-in's request counter by endpoint, from its /metrics. */
async function serverCounts(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const counts: Record<string, number> = {}
  for (const match of text.matchAll(/^checkin_mock_requests_total\{([^}]*)\} (\d+)$/gm)) {
    const endpoint = /endpoint="([^"]+)"/.exec(match[1]!)?.[1]
    if (endpoint !== undefined) counts[endpoint] = (counts[endpoint] ?? 0) + Number(match[2])
  }
  return counts
}

const SCALE = 0.5
const DURATION_MS = 4000

test('two shards at once against one stand-in, merged: exact counts, exact percentiles', async () => {
  const out = mkdtempSync(join(tmpdir(), 'checkin-load-shards-'))
  const server = await startMockServer({ port: 0, quiet: true })
  try {
    // far enough ahead for both processes to boot on a busy machine; they wait for it
    const startAtMs = Math.ceil((Date.now() + 6000) / 1000) * 1000
    const shardArgs = (i: number) => [
      'run',
      '--target',
      server.url,
      '--shard',
      `${i}/2`,
      '--start-at',
      new Date(startAtMs).toISOString(),
      '--run-id',
      'two-shards',
      '--out',
      join(out, `shard-${i}`),
      '--duration',
      `${DURATION_MS}ms`,
      '--scale',
      String(SCALE),
      '--arrival',
      'constant',
      '--seed',
      '7',
      '--no-default-slos',
      '--quiet',
    ]
    const ran = await Promise.all([runCli(shardArgs(0)), runCli(shardArgs(1))])
    for (const r of ran) assert.equal(r.code, 0, r.stderr + r.stdout)
    const dirs = [0, 1].map((i) => join(out, `shard-${i}`, 'two-shards'))

    // each shard knows it is one, and started at the shared time
    for (const [i, dir] of dirs.entries()) {
      const header = (await readLines(dir))[0] as SeriesHeader
      assert.deepEqual(header.shard, { index: i, count: 2 })
      assert.equal(header.startedAtMs, startAtMs, '--start-at is time zero')
    }

    const merged = await runCli(['merge', ...dirs, '--out', join(out, 'merged')])
    assert.equal(merged.code, 0, merged.stderr + merged.stdout)
    assert.match(merged.stdout, /Merged 2 of 2 shards of run two-shards/)
    const mergedDir = join(out, 'merged')
    const lines = await readLines(mergedDir)
    const shards = dirs.map(readSummary)
    const summary = readSummary(mergedDir)
    const server_ = await serverCounts(server.url)

    // N shards together ask exactly profile x scale x time
    const expected = expectedAsked(SCALE, DURATION_MS)
    for (const [endpoint, asked] of Object.entries(expected)) {
      assert.equal(askedOf(lines, endpoint), asked, `${endpoint}: asked`)
      const shardAsked = await Promise.all(dirs.map(async (d) => askedOf(await readLines(d), endpoint)))
      assert.ok(
        shardAsked.every((n) => Math.abs(n - asked / 2) <= 1),
        `${endpoint}: even split ${shardAsked}`,
      )
    }

    // merged counts = the shards' sums = the stand-in's own counts (±1%)
    assert.equal(summary.total.requests, shards[0]!.total.requests + shards[1]!.total.requests)
    for (const endpoint of Object.keys(expected)) {
      const requests = summary.endpoints[endpoint]!.requests
      assert.equal(
        requests,
        shards[0]!.endpoints[endpoint]!.requests + shards[1]!.endpoints[endpoint]!.requests,
        endpoint,
      )
      const seen = server_[endpoint] ?? 0
      assert.ok(
        Math.abs(requests - seen) <= Math.max(1, seen * 0.01),
        `${endpoint}: ${requests} vs server ${seen}`,
      )
    }

    // merged percentiles = percentiles of the shards' histograms added together, exactly
    for (const endpoint of [undefined, ...Object.keys(expected)]) {
      const stats = mergedLatencyStats(shards, endpoint)
      const got = endpoint === undefined ? summary.total.latencyMs : summary.endpoints[endpoint]!.latencyMs
      for (const p of ['p50', 'p95', 'p99'] as const)
        assert.equal(got[p], stats[p], `${endpoint ?? 'total'} ${p}`)
    }
  } finally {
    await server.close()
    rmSync(out, { recursive: true, force: true })
  }
})
