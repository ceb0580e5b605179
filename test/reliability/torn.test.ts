import assert from 'node:assert/strict'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import fc from 'fast-check'
import { isCheckinLoadError } from '../../src/errors.js'
import { type MockServer, startMockServer } from '../../src/mock/index.js'
import { rebuildSummary } from '../../src/report/index.js'
import { parseLine } from '../../src/report/series.js'
import { runCli, runDirs, said, tempDir } from '../faults/run-cli.js'
import { fuzzParameters } from '../helpers/fuzz.js'

/**
 * A series.ndjson cut at any byte (a crash mid-write, a copy cut short) never breaks the reader:
 * cut after the header, it rebuilds up to its last whole line (a torn last line is skipped and
 * reported); cut inside the header, it is refused with a clear results error (exit 2), never
 * another exception. Checked on a real run's file, at fast-check-chosen byte offsets.
 */
const root = tempDir('torn')
let real: { dir: string; text: string; headerEnd: number; lineEnds: number[] }
let target: MockServer

before(async () => {
  target = await startMockServer({ port: 0, quiet: true, closeTimeoutMs: 1000 })
  const out = join(root, 'real')
  const run = await runCli([
    'run',
    '--target',
    target.url,
    '--duration',
    '3s',
    '--scale',
    '0.2',
    '--quiet',
    '--no-default-slos',
    '--out',
    out,
  ])
  assert.equal(run.code, 0, said(run))
  const dir = runDirs(out)[0]!
  const text = readFileSync(join(dir, 'series.ndjson'), 'utf8')
  const lineEnds: number[] = []
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineEnds.push(i + 1)
  real = { dir, text, headerEnd: lineEnds[0]!, lineEnds }
})

after(async () => {
  await target.close()
  rmSync(root, { recursive: true, force: true })
})

let folders = 0
function folderWith(text: string): string {
  const dir = join(root, `cut-${folders++}`)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'series.ndjson'), text)
  return dir
}

test('cut anywhere after the header: rebuilt up to the last whole line, the torn rest skipped', async () => {
  const full = await rebuildSummary(real.dir)
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: real.headerEnd, max: real.text.length }), async (cut) => {
      const rebuilt = await rebuildSummary(folderWith(real.text.slice(0, cut)))
      const whole = real.lineEnds.filter((end) => end <= cut).length
      // what follows the last whole line: nothing, a line missing only its newline, or a torn line
      const rest = real.text.slice(real.lineEnds[whole - 1]!, cut)
      const restIsLine = rest !== '' && typeof parseLine(rest) !== 'string'
      const torn = rest !== '' && !restIsLine
      assert.equal(rebuilt.tornLine, torn ? whole + 1 : undefined, `cut at ${cut}`)
      // counts only grow with the cut, up to the run's own
      assert.ok(rebuilt.summary.total.requests <= full.summary.total.requests)
      const ended = whole + (restIsLine ? 1 : 0) === real.lineEnds.length
      assert.equal(rebuilt.summary.endReason === 'incomplete', !ended, `cut at ${cut}`)
      if (ended) assert.deepEqual(rebuilt.summary.total, full.summary.total)
    }),
    fuzzParameters(60, 20),
  )
})

test('cut inside the header: a results error that says so (never another exception)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: real.headerEnd - 2 }), async (cut) => {
      await assert.rejects(rebuildSummary(folderWith(real.text.slice(0, cut))), (error: unknown) => {
        assert.ok(isCheckinLoadError(error), `cut at ${cut}: ${String(error)}`)
        assert.equal(error.exitCode, 2)
        assert.match(error.message, /is empty|header line is not valid/)
        return true
      })
    }),
    fuzzParameters(30, 21),
  )
})

test('checkin-load report on a real series torn mid-line: exit 0, the torn line named', async () => {
  const second = real.lineEnds[2]!
  const dir = folderWith(real.text.slice(0, second + 100))
  const run = await runCli(['report', dir, '--quiet', '--no-default-slos'])
  assert.equal(run.code, 0, said(run))
  assert.match(run.stdout, /Skipped a torn last line \(line 4\) of series\.ndjson/)
})

test('a torn line followed by more lines is refused, exit 2, with the line number', async () => {
  const [h, s1, s2] = real.lineEnds
  const text = `${real.text.slice(0, s1! - 50)}\n${real.text.slice(s1!, s2!)}`
  const run = await runCli(['report', folderWith(text), '--quiet'])
  assert.equal(run.code, 2, said(run))
  assert.match(run.stderr, /line 2: not valid JSON \(only the last line may be torn\)/)
  assert.ok(h! < s1!)
})
