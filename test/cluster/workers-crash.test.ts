import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { readLines, readSummary, spawnCli, started, workerPids, workersRunArgs } from './helpers.js'

/** `run --workers 2` when a worker is killed outright: reported, and the run is written with what was measured. */
test('a worker killed outright is reported; the run is written with what was measured', async () => {
  const out = mkdtempSync(join(tmpdir(), 'checkin-load-workers-kill-'))
  try {
    const run = spawnCli([...workersRunArgs(out, 'kill'), '--duration', '8s'])
    const dir = join(out, 'kill')
    await started(dir, run)
    await sleep(2500)
    const victim = workerPids(run.child.pid!).get(1)
    assert.ok(victim !== undefined, 'worker 1 is running')
    process.kill(victim, 'SIGKILL')
    const ran = await run.done
    assert.equal(ran.code, 1, 'an incomplete run is no pass, whatever its thresholds say')
    assert.match(
      ran.stderr,
      /worker 1 \(shard 1\/2\) exited \(SIGKILL\) at second \d+; its seconds up to there are in the results/,
    )
    assert.match(ran.stdout, /worker 1 \(shard 1\/2\) exited \(SIGKILL\)/, 'the note under the table')
    const summary = readSummary(dir)
    assert.equal(summary.endReason, 'error')
    assert.ok(summary.total.requests > 0)
    const lines = await readLines(dir)
    const end = lines.at(-1)!
    assert.equal(end.type === 'end' && end.reason, 'error')
    // the surviving worker ran to the end of the stages
    const survivor = readSummary(join(dir, 'shards', '0', 'kill'))
    assert.equal(survivor.endReason, 'completed')
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
})
