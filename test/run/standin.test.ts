import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { runCommand } from '../../src/commands/run.js'
import { resolveRunConfig } from '../../src/config/load.js'
import { summarySchema } from '../../src/model/results.js'
import { checkinProfile, deriveRates, shareIntegralMs } from '../../src/profile/index.js'
import { readSeries } from '../../src/report/index.js'

/**
 * The real engine against the real stand-in (embedded: started as a child process on a free
 * loopback port): the check-in flows log in before reading their data, so the stand-in answers
 * 200 everywhere, and each endpoint gets the profile's share x scale x time.
 */
test('vets-api-checkin against the embedded stand-in: counts follow the profile within 2 %, no 401', async () => {
  const out = mkdtempSync(join(tmpdir(), 'checkin-load-run-'))
  try {
    const stages = [
      { durationMs: 2000, target: 1 },
      { durationMs: 8000, target: 1 },
    ]
    const config = resolveRunConfig({
      flags: { stages, arrival: 'constant', scale: 1, out, runId: 'standin', quiet: true, seed: 5 },
    })
    const progress: number[] = []
    const outcome = await runCommand(config, { onProgress: (p) => progress.push(p.elapsedS) })
    const { summary } = outcome
    assert.ok(summarySchema.safeParse(summary).success)
    assert.equal(outcome.endReason, 'completed')
    assert.equal(outcome.exitCode, 0, JSON.stringify(summary.thresholds.filter((t) => !t.ok)))
    assert.ok(progress.length >= 10)
    const shareMs = shareIntegralMs(stages, 10_000)
    for (const rate of deriveRates(checkinProfile(), 1).endpoints) {
      const e = summary.endpoints[rate.endpoint]
      assert.ok(e, rate.endpoint)
      const expected = (rate.rpm / 60_000) * shareMs
      assert.ok(
        Math.abs(e.requests - expected) <= Math.max(2, expected * 0.02),
        `${rate.endpoint}: ${e.requests} requests, expected ${expected.toFixed(1)}`,
      )
      assert.equal(e.ok, e.requests, `${rate.endpoint}: ${JSON.stringify(e.errors)}`)
      assert.deepEqual(Object.keys(e.status), ['200'], `${rate.endpoint}: no 401`)
      assert.equal(e.dropped, 0)
    }
    // the generator's self-watch is filled in (its verdict depends on the machine's load: not asserted)
    assert.equal(typeof summary.generator.trustworthy, 'boolean')
    assert.ok(summary.generator.maxRssMb > 0)
    // the series on disk: header, one line a second, the end line
    const lines: string[] = []
    for await (const line of readSeries(join(outcome.runDir, 'series.ndjson'))) lines.push(line.type)
    assert.equal(lines[0], 'header')
    assert.equal(lines.at(-1), 'end')
    assert.ok(lines.filter((t) => t === 'second').length >= 10)
    const saved = JSON.parse(readFileSync(join(outcome.runDir, 'summary.json'), 'utf8'))
    assert.equal(saved.runId, 'standin')
    assert.equal(saved.config.seed, 5)
    // which HTTP client and clock made the figures (the defaults here)
    assert.equal(saved.config.transport, 'raw')
    assert.equal(saved.config.clock, 'timer')
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
})
