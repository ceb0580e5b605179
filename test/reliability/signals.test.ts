import assert from 'node:assert/strict'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { type MockServer, startMockServer } from '../../src/mock/index.js'
import { rebuildRunFiles } from '../../src/report/index.js'
import { parseLine } from '../../src/report/series.js'
import { readSummary, runCli, runDirs, START_LINE, said, tempDir } from '../faults/run-cli.js'

/**
 * Nothing lost: a run killed at a random moment (SIGINT, SIGTERM or SIGKILL, 21 times, offsets
 * drawn from a printed seed) always leaves a run folder that `checkin-load report DIR` rebuilds
 * (exit 0 or 99, never 1 or 2), and a series.ndjson whose every line but possibly the last is a
 * whole, valid line (the SIGKILL'd runs are rebuilt with the command, the others in this process
 * with the same library call). A graceful stop (SIGINT/SIGTERM) writes summary.json itself, and rebuilding
 * from the series gives the same counts: nothing measured is missing from series.ndjson.
 */
const RUNS = 21
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGKILL'] as const
/** each run is 4 s of load; the signal comes 0.3-3.5 s after its start line */
const MIN_OFFSET_MS = 300
const MAX_OFFSET_MS = 3500

const seed = Number(process.env.CHECKIN_LOAD_SIGNAL_SEED ?? Date.now() % 1_000_000)
/** mulberry32: offsets reproducible from the printed seed */
function offsets(count: number): number[] {
  let a = seed >>> 0
  return Array.from({ length: count }, () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    const r = ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
    return Math.round(MIN_OFFSET_MS + r * (MAX_OFFSET_MS - MIN_OFFSET_MS))
  })
}

let target: MockServer
const outs: string[] = []
before(async () => {
  target = await startMockServer({ port: 0, quiet: true, closeTimeoutMs: 1000 })
})
after(async () => {
  await target.close()
  for (const out of outs) rmSync(out, { recursive: true, force: true })
})

/** Every line of the series parses, except possibly a torn last one; returns the parsed types. */
function seriesTypes(dir: string, why: string): string[] {
  const lines = readFileSync(join(dir, 'series.ndjson'), 'utf8').split('\n')
  if (lines.at(-1) === '') lines.pop()
  const types: string[] = []
  lines.forEach((text, i) => {
    const parsed = parseLine(text)
    if (typeof parsed === 'string') {
      assert.equal(
        i,
        lines.length - 1,
        `line ${i + 1} is not valid (${parsed}), and it is not the last: ${why}`,
      )
    } else {
      types.push(parsed.type)
    }
  })
  return types
}

describe(`runs killed at random moments (seed ${seed}; set CHECKIN_LOAD_SIGNAL_SEED to replay)`, {
  concurrency: 4,
}, () => {
  offsets(RUNS).forEach((offsetMs, i) => {
    const signal = SIGNALS[i % SIGNALS.length]!
    test(`run ${i + 1}: ${signal} ${offsetMs} ms after the start`, async () => {
      const out = tempDir('signal')
      outs.push(out)
      let signalledAt = 0
      let timer: NodeJS.Timeout | undefined
      const run = await runCli(
        [
          'run',
          '--target',
          target.url,
          '--duration',
          '4s',
          '--scale',
          '0.2',
          '--timeout',
          '1s',
          '--out',
          out,
          '--seed',
          String(seed + i),
        ],
        {
          onStdoutLine(line, child) {
            if (!START_LINE.test(line)) return
            timer = setTimeout(() => {
              signalledAt = Date.now()
              child.kill(signal)
            }, offsetMs)
          },
        },
      )
      const endedAt = Date.now()
      clearTimeout(timer)
      const why = `${signal} at ${offsetMs} ms: ${said(run)}`
      assert.ok(signalledAt > 0, `the start line came and the signal was sent: ${why}`)
      // a graceful stop waits at most timeout + 1 s for flows in flight, then writes the files
      assert.ok(endedAt - signalledAt < 15_000, `ended ${endedAt - signalledAt} ms after the signal: ${why}`)
      if (signal === 'SIGKILL') {
        assert.ok(run.signal === 'SIGKILL' || run.code === 0, why)
      } else {
        // graceful: arrivals stop, flows in flight get up to timeout + 1 s, the files are written
        assert.ok(run.code === 0 || run.code === 99, why)
      }
      const [dir, ...others] = runDirs(out)
      assert.ok(dir !== undefined && others.length === 0, `one run folder: ${why}`)
      const types = seriesTypes(dir, why)
      assert.equal(types[0], 'header', why)
      const own = signal === 'SIGKILL' ? undefined : readSummary(dir)
      if (own) {
        assert.equal(types.at(-1), 'end', `a graceful stop writes the end line: ${why}`)
        assert.ok(['interrupted', 'completed'].includes(own.endReason), why)
      }

      if (signal === 'SIGKILL') {
        // as a user would after a crash: the command, its exit code
        const rebuilt = await runCli(['report', dir, '--quiet'])
        assert.ok(rebuilt.code === 0 || rebuilt.code === 99, `report rebuilds it: ${said(rebuilt)}\n${why}`)
      } else {
        // the same rebuild, in this process (cheaper on a busy machine): it must not throw
        await rebuildRunFiles(dir)
      }
      const summary = readSummary(dir)
      assert.ok(existsSync(join(dir, 'report.html')), why)
      if (own) {
        // the series holds everything the run counted
        assert.deepEqual(
          [summary.total.requests, summary.total.ok, summary.total.dropped, summary.endReason],
          [own.total.requests, own.total.ok, own.total.dropped, own.endReason],
          why,
        )
      } else if (types.at(-1) !== 'end') {
        assert.equal(summary.endReason, 'incomplete', why)
      }
    })
  })
})
