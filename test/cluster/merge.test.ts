import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { mergeRuns } from '../../src/commands/merge.js'
import { runConfigSchema } from '../../src/config/schema.js'
import { parseThreshold } from '../../src/config/thresholds.js'
import {
  decodeHistogram,
  encodeHistogram,
  type Histogram,
  newHistogram,
  recordUs,
} from '../../src/model/histogram.js'
import { latencyStatsMs } from '../../src/report/histogram-stats.js'
import { rebuildSummary } from '../../src/report/index.js'
import { writeRunFolder } from '../report/fixtures.js'
import { readLines, readSummary, runCli, secondsOf, shardRun } from './helpers.js'

/** `checkin-load merge`: synthetic shard folders, merged by the library and by the command. */
const parent = mkdtempSync(join(tmpdir(), 'checkin-load-merge-'))
after(() => rmSync(parent, { recursive: true, force: true }))

let folders = 0
const folder = (text: string) => writeRunFolder(parent, `shard-${folders++}`, text)
const outDir = () => join(parent, `merged-${folders++}`)

const stored = (h: Histogram) => decodeHistogram(encodeHistogram(h))

const a = shardRun({ runId: 'r1', index: 0, count: 2, seed: 1, seconds: 6 })
const b = shardRun({ runId: 'r1', index: 1, count: 2, seed: 2, seconds: 6 })
const dirA = folder(a.text)
const dirB = folder(b.text)

test('two shards merge exactly: counts add, percentiles are those of all requests together', async () => {
  const out = outDir()
  const merged = await mergeRuns([dirA, dirB], out)
  assert.equal(merged.exitCode, 0)
  assert.deepEqual(merged.missing, [])
  assert.deepEqual(merged.warnings, [])
  const { summary } = merged
  assert.deepEqual(summary.shards, [
    { index: 0, count: 2 },
    { index: 1, count: 2 },
  ])
  assert.equal(summary.endReason, 'completed')
  assert.equal(summary.durationS, 6)
  const requests = (run: typeof a, id?: string) =>
    run.seconds.reduce(
      (sum, s) =>
        sum +
        Object.entries(s.endpoints)
          .filter(([e]) => id === undefined || e === id)
          .reduce((n, [, stats]) => n + stats.requests, 0),
      0,
    )
  assert.equal(summary.total.requests, requests(a) + requests(b))
  const all = newHistogram()
  for (const [id, values] of a.rawLatencyUs) {
    assert.equal(summary.endpoints[id]!.requests, requests(a, id) + requests(b, id), id)
    const one = newHistogram()
    for (const us of [...values, ...(b.rawLatencyUs.get(id) ?? [])]) {
      recordUs(one, us)
      recordUs(all, us)
    }
    // as stored: encoded (max and min then read at their bucket's resolution, as in every summary)
    assert.deepEqual(summary.endpoints[id]!.latencyMs, latencyStatsMs(stored(one)), id)
  }
  assert.deepEqual(summary.total.latencyMs, latencyStatsMs(stored(all)))

  // the merged folder is a run folder like any other
  const lines = await readLines(out)
  const header = lines[0]!
  assert.equal(header.type === 'header' && header.shard, undefined)
  assert.deepEqual(header.type === 'header' && header.shards, summary.shards)
  assert.equal(lines.at(-1)!.type, 'end')
  assert.ok(existsSync(join(out, 'report.html')))
  assert.deepEqual(readSummary(out), summary)
  const rebuilt = await rebuildSummary(out)
  assert.deepEqual(rebuilt.summary.total, summary.total)
})

test('seconds line up by wall clock: a shard started 2 s late lands 2 s in', async () => {
  const late = shardRun({ runId: 'r2', index: 1, count: 2, seed: 3, seconds: 4, startOffsetMs: 2000 })
  const early = shardRun({ runId: 'r2', index: 0, count: 2, seed: 4, seconds: 4 })
  const out = outDir()
  const merged = await mergeRuns([folder(late.text), folder(early.text)], out)
  assert.equal(merged.summary.durationS, 6)
  const seconds = secondsOf(await readLines(out))
  assert.deepEqual(
    seconds.map((s) => s.t),
    [0, 1, 2, 3, 4, 5],
  )
  const at = (t: number) => seconds[t]!.endpoints.get_session!.requests
  assert.equal(at(0), early.seconds[0]!.endpoints.get_session!.requests)
  assert.equal(
    at(2),
    early.seconds[2]!.endpoints.get_session!.requests + late.seconds[0]!.endpoints.get_session!.requests,
  )
  assert.equal(at(5), late.seconds[3]!.endpoints.get_session!.requests)
})

test('a killed shard (torn last line, no end line) is merged up to its last whole second', async () => {
  const killed = shardRun({ runId: 'r3', index: 1, count: 2, seed: 5, seconds: 3, end: null })
  const whole = shardRun({ runId: 'r3', index: 0, count: 2, seed: 6, seconds: 5 })
  const killedDir = folder(`${killed.text}{"type":"second","t":3,"sha`)
  const out = outDir()
  const merged = await mergeRuns([folder(whole.text), killedDir], out)
  assert.equal(merged.summary.endReason, 'incomplete')
  assert.equal(merged.summary.durationS, 5)
  assert.ok(merged.warnings.some((w) => /torn last line \(line 5\)/.test(w)))
  assert.ok(merged.warnings.some((w) => /no end line/.test(w)))
  const lines = await readLines(out)
  assert.equal(lines.at(-1)!.type, 'second', 'no end line: the merged run did not end cleanly either')
})

test('the merged run ends as its worst shard; a missing shard is named', async () => {
  const stopped = shardRun({ runId: 'r4', index: 2, count: 3, seed: 7, seconds: 3, end: 'interrupted' })
  const fine = shardRun({ runId: 'r4', index: 0, count: 3, seed: 8, seconds: 3 })
  const merged = await mergeRuns([folder(stopped.text), folder(fine.text)], outDir())
  assert.equal(merged.summary.endReason, 'interrupted')
  assert.deepEqual(merged.missing, [{ index: 1, count: 3 }])
  assert.ok(merged.warnings.some((w) => /shard\(s\) 1\/3 not given/.test(w)))
  assert.deepEqual(merged.summary.shards, [
    { index: 0, count: 3 },
    { index: 2, count: 3 },
  ])
})

test("the merged run is judged by the run's own thresholds, or by the ones given", async () => {
  const config = runConfigSchema.parse({
    stages: [{ durationMs: 3000, target: 1 }],
    thresholds: [{ metric: 'http_req_duration', conditions: ['p(95)<0.001'] }],
    defaultSlos: false,
  })
  const dirs = [0, 1].map((index) =>
    folder(shardRun({ runId: 'r5', index, count: 2, seed: 10 + index, seconds: 3, config }).text),
  )
  const strict = await mergeRuns(dirs, outDir())
  assert.equal(strict.exitCode, 99)
  assert.deepEqual(
    strict.summary.thresholds.map((t) => [t.metric, t.expr, t.ok]),
    [['http_req_duration', 'p(95)<0.001', false]],
  )
  const lenient = await mergeRuns(dirs, outDir(), {
    thresholds: [parseThreshold('http_req_duration: p(95)<60000')],
  })
  assert.equal(lenient.exitCode, 0)
})

// ---- the command: exit codes and messages ------------------------------------------------------

const other = folder(shardRun({ runId: 'other', index: 1, count: 2, seed: 20, seconds: 2 }).text)
const notShard = writeRunFolder(
  parent,
  'not-a-shard',
  `${JSON.stringify({ ...a.header, shard: undefined })}\n`,
)
const empty = join(parent, 'empty')
mkdirSync(empty)
const holder = join(parent, 'pod-0')
mkdirSync(holder)
writeRunFolder(holder, 'r1', b.text)

const REFUSED: [string, () => string[], RegExp][] = [
  [
    'shards of different runs',
    () => [dirA, other],
    /is run "other", .* is run "r1": merge only shards of one run \(shards started with one --start-at and the same flags share a run id; else give every shard the same --run-id\)/,
  ],
  ['the same shard twice', () => [dirA, dirA], /are both shard 0\/2: overlapping shards/],
  [
    'a folder that is not a run folder',
    () => [dirA, empty],
    /empty is not a run folder: it has no series\.ndjson/,
  ],
  ['a run that is not a shard', () => [dirA, notShard], /is not a shard \(it was run without --shard\)/],
  ['a folder that does not exist', () => [join(parent, 'nope')], /nope does not exist/],
]

for (const [name, dirs, message] of REFUSED) {
  test(`merge refuses ${name}: exit 2 and one line`, async () => {
    const out = outDir()
    const ran = await runCli(['merge', ...dirs(), '--out', out])
    assert.equal(ran.code, 2, ran.stderr + ran.stdout)
    assert.match(ran.stderr, message)
    assert.equal(ran.stderr.trim().split('\n').length, 1, ran.stderr)
    assert.ok(!existsSync(join(out, 'series.ndjson')), 'nothing written')
  })
}

test('merge --out on /proc: exit 2 at once with one line', async () => {
  const started = Date.now()
  const ran = await runCli(['merge', dirA, dirB, '--out', '/proc/x/merged'], 20_000)
  assert.equal(ran.code, 2, ran.stderr)
  assert.ok(Date.now() - started < 5000)
  assert.match(
    ran.stderr,
    /^checkin-load: cannot write the merged run in \/proc\/x\/merged: .*; choose another --out\n$/,
  )
})

test('merge prints the end table; a folder holding one run folder (a pod’s --out) will do', async () => {
  const out = outDir()
  const ran = await runCli(['merge', dirA, holder, '--out', out])
  assert.equal(ran.code, 0, ran.stderr)
  assert.match(ran.stdout, /Merged 2 of 2 shards of run r1 \(shards 0, 1\)/)
  assert.match(ran.stdout, /get_session/)
  assert.match(ran.stdout, /Report: +.*report\.html/)
  // and never over an existing run
  const again = await runCli(['merge', dirA, dirB, '--out', out])
  assert.equal(again.code, 2)
  assert.match(again.stderr, /already holds a run: give --out a new folder/)
})

test('merge exits 99 when a threshold fails', async () => {
  const ran = await runCli([
    'merge',
    dirA,
    dirB,
    '--out',
    outDir(),
    '--threshold',
    'http_req_duration: p(50)<0.001',
    '--quiet',
  ])
  assert.equal(ran.code, 99, ran.stderr)
})
