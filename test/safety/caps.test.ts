import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { LIMITS } from '../../src/config/schema.js'
import { readSummary, runCli, runDirs, START_LINE, said, tempDir } from '../faults/run-cli.js'
import { type FaultServer, statusServer } from '../faults/servers.js'

/**
 * Hard caps (LIMITS: 20,000 req/s at the peak of the stages, 4 h of stages): a typo must not launch
 * a flood. Over a cap, `run` exits 2 with one line before anything starts; with --no-limits the
 * same run starts. The runs that start are shaped so that they send (almost) nothing: a rate over
 * the cap only at the end of a 10-minute stage at share 0, a 5 h run at a trickle; each is stopped
 * with SIGINT a second after its start line.
 */
const dir = tempDir('caps')
let target: FaultServer
before(async () => {
  target = await statusServer(200)
})
after(async () => {
  await target.close()
  rmSync(dir, { recursive: true, force: true })
})

/** peak share x the profile's ~200 req/s: 101 x 200.3 > 20,000 */
const RATE_OVER_CAP = ['--stages', '10m:0,1s:101']
const DURATION_OVER_CAP = ['--duration', '5h', '--scale', '0.01']

describe('hard caps on rate and duration', { concurrency: 4 }, () => {
  for (const [name, args, message] of [
    [
      'rate',
      RATE_OVER_CAP,
      /ask for 2\d{4} req\/s at its peak, over the 20000 req\/s cap: lower --scale or pass --no-limits/,
    ],
    ['duration', DURATION_OVER_CAP, /last 300 minutes, over the 4 h cap: shorten it or pass --no-limits/],
  ] as const) {
    test(`${name} over the cap: exit 2, one line, nothing started`, async () => {
      const out = join(dir, `refused-${name}`)
      const seen = target.seen()
      const run = await runCli(['run', '--target', target.url, ...args, '--out', out])
      assert.equal(run.code, 2, said(run))
      assert.match(run.stderr, message)
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr)
      assert.deepEqual(runDirs(out), [])
      assert.equal(target.seen(), seen)
    })

    test(`${name} over the cap with --no-limits: the run starts (stopped by SIGINT)`, async () => {
      const out = join(dir, `allowed-${name}`)
      let timer: NodeJS.Timeout | undefined
      const run = await runCli(
        ['run', '--target', target.url, ...args, '--no-limits', '--no-default-slos', '--out', out],
        {
          onStdoutLine(line, child) {
            if (START_LINE.test(line)) timer = setTimeout(() => child.kill('SIGINT'), 1000)
          },
        },
      )
      clearTimeout(timer)
      assert.equal(run.code, 0, said(run))
      const [runDir] = runDirs(out)
      assert.ok(runDir, said(run))
      const summary = readSummary(runDir)
      assert.equal(summary.endReason, 'interrupted')
      assert.equal(summary.config.noLimits, true)
      // share 0 (rate) or 0.5 visits of 4 requests a second (duration): next to nothing was sent
      assert.ok(summary.total.requests <= 40, `${summary.total.requests} requests`)
    })
  }

  test('the caps are the documented ones, and `config` shows them lifted', async () => {
    assert.deepEqual(LIMITS, { maxRps: 20_000, maxDurationMs: 4 * 3_600_000 })
    const run = await runCli(['config', '--scale', '150', '--duration', '5h', '--no-limits'])
    assert.equal(run.code, 0, said(run))
    const config = JSON.parse(run.stdout) as { noLimits: boolean; scale: number }
    assert.deepEqual([config.noLimits, config.scale], [true, 150])
  })
})
