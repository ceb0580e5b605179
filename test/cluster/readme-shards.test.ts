import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { test } from 'node:test'
import { BIN, readSummary } from './helpers.js'

/**
 * README's shard commands, run as written (bash, a `checkin-load` on PATH, the embedded stand-in
 * of each shard): the two shards name their run alike without --run-id, and the merge takes them;
 * the merged counts are the sums of the shards'.
 */
const README = new URL('../../../README.md', import.meta.url)

function readmeShardBlock(): string {
  const text = readFileSync(README, 'utf8')
  const match = /<!-- readme-shards:[^>]*-->\s*```sh\n([\s\S]*?)```/.exec(text)
  assert.ok(match, 'README has the readme-shards block')
  return match[1]!.replace(/^ {2}/gm, '')
}

test("README's shard commands merge as written: the merged counts are the shards' sums", () => {
  const dir = mkdtempSync(join(tmpdir(), 'checkin-load-readme-'))
  try {
    const bin = join(dir, 'bin')
    spawnSync('mkdir', [bin])
    const shim = join(bin, 'checkin-load')
    writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`)
    chmodSync(shim, 0o755)
    const script = readmeShardBlock()
    assert.match(script, /--shard 0\/2/)
    assert.doesNotMatch(script, /--run-id/, 'the point: no --run-id needed')
    const ran = spawnSync('bash', ['-e', '-c', script], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1', PATH: `${bin}:${dirname(process.execPath)}:${process.env.PATH}` },
      encoding: 'utf8',
      timeout: 120_000,
    })
    assert.ok(ran.status === 0 || ran.status === 99, `exit ${ran.status}: ${ran.stderr}`)
    assert.doesNotMatch(ran.stderr, /merge only shards of one run/)
    const merged = readSummary(join(dir, 'merged'))
    const shards = [0, 1].map((i) => readSummary(join(dir, `shard-${i}`, merged.runId)))
    assert.match(merged.runId, /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z-[0-9a-f]{6}$/)
    assert.ok(merged.total.requests > 0)
    for (const [endpoint, stats] of Object.entries(merged.endpoints)) {
      const sum = shards.reduce((n, s) => n + (s.endpoints[endpoint]?.requests ?? 0), 0)
      assert.equal(stats.requests, sum, endpoint)
    }
    assert.equal(merged.total.requests, shards[0]!.total.requests + shards[1]!.total.requests)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
