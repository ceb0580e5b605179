import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { readLines, readSummary, spawnCli, started, workerPids, workersRunArgs } from './helpers.js'

/** `run --workers 2` and Ctrl-C: every worker ends gracefully, the parent writes the one run. */
test('SIGINT to the parent ends every worker gracefully; one run is written', async () => {
  const out = mkdtempSync(join(tmpdir(), 'checkin-load-workers-int-'))
  try {
    const run = spawnCli(workersRunArgs(out, 'int'))
    const dir = join(out, 'int')
    await started(dir, run)
    await sleep(2500)
    const pids = workerPids(run.child.pid!)
    assert.equal(pids.size, 2, 'two workers running')
    run.child.kill('SIGINT')
    const ran = await run.done
    assert.equal(ran.code, 0, ran.stderr + ran.stdout)
    assert.match(ran.stdout, /ended early: interrupted/)
    const summary = readSummary(dir)
    assert.equal(summary.endReason, 'interrupted')
    assert.ok(summary.durationS < 30)
    assert.ok(summary.total.requests > 0)
    for (const i of [0, 1]) {
      const lines = await readLines(join(dir, 'shards', String(i), 'int'))
      const end = lines.at(-1)!
      assert.equal(end.type === 'end' && end.reason, 'interrupted', `worker ${i} ended gracefully`)
    }
    assert.equal(workerPids(run.child.pid!).size, 0)
    for (const pid of pids.values()) assert.throws(() => process.kill(pid, 0), 'no worker left behind')
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
})
