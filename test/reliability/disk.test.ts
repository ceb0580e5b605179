import assert from 'node:assert/strict'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { type MockServer, startMockServer } from '../../src/mock/index.js'
import { parseLine } from '../../src/report/series.js'
import { readSummary, runCli, runDirs, said, tempDir } from '../faults/run-cli.js'
import { type FaultServer, statusServer } from '../faults/servers.js'

/**
 * Results that cannot be written. At the start (an --out under a regular file; a disk that takes
 * no byte): a clear one-line error, exit 2, before any request reaches the target. Mid-run (the
 * series file hits a size limit): the run stops, says why, exits 1, and series.ndjson keeps only
 * whole lines, which `checkin-load report` rebuilds once there is room.
 *
 * A full disk is simulated with the kernel's file size limit (`ulimit -f`, RLIMIT_FSIZE): a write
 * past it is cut short and then fails with EFBIG, exactly as a write to a full disk is cut short
 * and then fails with ENOSPC; checkin-load handles every write error the same way. (As root, with
 * a 64 KiB tmpfs filled up, the same commands give ENOSPC and the same outcomes: docs/reliability.md.)
 */
const dirs: string[] = []
let counting: FaultServer
let standIn: MockServer
before(async () => {
  counting = await statusServer(200)
  standIn = await startMockServer({ port: 0, quiet: true, closeTimeoutMs: 1000 })
})
after(async () => {
  await counting.close()
  await standIn.close()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

function oneLine(stderr: string, why: string): void {
  assert.equal(stderr.trim().split('\n').length, 1, `one line: ${why}`)
  assert.doesNotMatch(stderr, /internal error|\n\s+at /, `no stack: ${why}`)
}

describe('results that cannot be written', { concurrency: 3 }, () => {
  test('--out under a regular file: exit 2, one clear line, no request sent', async () => {
    const dir = tempDir('disk')
    dirs.push(dir)
    writeFileSync(join(dir, 'a-file'), 'not a folder\n')
    const seenBefore = counting.seen()
    const run = await runCli([
      'run',
      '--target',
      counting.url,
      '--duration',
      '2s',
      '--quiet',
      '--out',
      join(dir, 'a-file', 'results'),
    ])
    const why = said(run)
    assert.equal(run.code, 2, why)
    assert.match(
      run.stderr,
      /^checkin-load: cannot write the results in .*a-file.*ENOTDIR.*choose another --out/,
      why,
    )
    oneLine(run.stderr, why)
    assert.equal(counting.seen(), seenBefore, 'no request reached the target')
  })

  test('a disk that takes no byte at the start: exit 2 before any load, no run folder left behind', async () => {
    const out = tempDir('disk')
    dirs.push(out)
    const seenBefore = counting.seen()
    const run = await runCli(
      ['run', '--target', counting.url, '--duration', '2s', '--scale', '0.2', '--quiet', '--out', out],
      { fileSizeLimitKb: 0 },
    )
    const why = said(run)
    assert.equal(run.code, 2, why)
    assert.match(
      run.stderr,
      /^checkin-load: cannot write the results in .*series\.ndjson failed: EFBIG.*no load was sent/,
      why,
    )
    oneLine(run.stderr, why)
    assert.equal(counting.seen(), seenBefore, 'no request reached the target')
    assert.deepEqual(runDirs(out), [], 'the empty run folder was removed')
  })

  test('a write failure mid-run: the run stops early and says why (exit 1); whole lines only; report rebuilds it', async () => {
    const out = tempDir('disk')
    dirs.push(out)
    // series lines are 1-3 KiB each: 8 KiB fill up after a few seconds of a planned 20
    const run = await runCli(
      [
        'run',
        '--target',
        standIn.url,
        '--duration',
        '20s',
        '--scale',
        '0.2',
        '--timeout',
        '1s',
        '--out',
        out,
      ],
      { fileSizeLimitKb: 8 },
    )
    const why = said(run)
    assert.equal(run.code, 1, why)
    assert.match(run.stderr, /writing .*series\.ndjson failed: EFBIG/, why)
    assert.match(run.stderr, /checkin-load report /, `says how to rebuild: ${why}`)
    assert.doesNotMatch(run.stderr, /internal error|\n\s+at /, why)
    const [dir] = runDirs(out)
    assert.ok(dir, why)
    const text = readFileSync(join(dir, 'series.ndjson'), 'utf8')
    assert.ok(text.endsWith('\n'), 'the file ends with a whole line')
    const lines = text.trimEnd().split('\n').map(parseLine)
    for (const [i, line] of lines.entries()) {
      assert.notEqual(typeof line, 'string', `line ${i + 1} is whole and valid: ${line}`)
    }
    const seconds = lines.filter((l) => typeof l !== 'string' && l.type === 'second').length
    assert.ok(seconds >= 1 && seconds < 15, `stopped early: ${seconds} seconds of a planned 20`)

    const rebuilt = await runCli(['report', dir, '--quiet'])
    assert.ok(rebuilt.code === 0 || rebuilt.code === 99, said(rebuilt))
    const summary = readSummary(dir)
    assert.ok(['write_failed', 'incomplete'].includes(summary.endReason), summary.endReason)
    assert.ok(summary.total.requests > 0)
    assert.ok(existsSync(join(dir, 'report.html')))
  })
})
