import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { summarySchema } from '../../src/model/results.js'
import { collapsingLatency, synthesizeRun, writeRunFolder } from './fixtures.js'

/** `checkin-load report` and `compare`, spawned as a user runs them. */
const BIN = fileURLToPath(new URL('../../../bin/checkin-load.js', import.meta.url))
const parent = mkdtempSync(join(tmpdir(), 'checkin-load-report-cli-'))

function cli(args: readonly string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 60_000,
  })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

const healthy = writeRunFolder(
  parent,
  'healthy',
  synthesizeRun({ seconds: 20, seed: 1, runId: 'healthy' }).text,
)
const collapsed = writeRunFolder(
  parent,
  'collapsed',
  synthesizeRun({
    seconds: 20,
    seed: 2,
    runId: 'collapsed',
    latencyMs: collapsingLatency,
    errorRate: (_e, t) => (t > 12 ? 0.3 : 0),
    dropped: (_e, t) => (t > 15 ? 4 : 0),
  }).text,
)

const readSummary = (dir: string) =>
  summarySchema.parse(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')))

test('report DIR writes summary.json and report.html, prints the table, exits 0 when thresholds pass', () => {
  const { code, stdout, stderr } = cli(['report', healthy])
  assert.equal(code, 0, stderr)
  assert.ok(existsSync(join(healthy, 'report.html')))
  const summary = readSummary(healthy)
  assert.equal(summary.passed, true)
  assert.equal(summary.endReason, 'completed')
  assert.match(stdout, /^get_session\s+[\d,]+\s+[\d,]+\s+0\s+0\s/m)
  assert.match(stdout, /✓ http_req_failed: rate<0.01 \(measured 0%\)/)
  assert.match(stdout, /PASSED: 9 of 9 thresholds met/)
  assert.match(stdout, new RegExp(`summary: ${join(healthy, 'summary.json')}`))
  assert.match(stdout, new RegExp(`report: +${join(healthy, 'report.html')}`))
})

test('report exits 99 when thresholds fail, naming each failure with its measured value', () => {
  const { code, stdout } = cli(['report', collapsed])
  assert.equal(code, 99)
  assert.equal(readSummary(collapsed).passed, false)
  assert.match(stdout, /✗ dropped: count==0 \(measured 96\)/)
  assert.match(
    stdout,
    /✗ http_req_duration\{endpoint:get_pre_check_in\}: p\(95\)<1000 \(measured [\d,]+ ms\)/,
  )
  assert.match(stdout, /FAILED: \d of 9 thresholds not met/)
})

test('report --threshold and --no-default-slos re-judge an old run; its own files keep its verdict, --out gets the new one', () => {
  cli(['report', healthy])
  const own = readFileSync(join(healthy, 'summary.json'), 'utf8')
  const strict = cli(['report', healthy, '--threshold', 'http_req_duration: p(50)<0.5', '--no-default-slos'])
  assert.equal(strict.code, 99)
  assert.match(strict.stdout, /Re-judged: the run's own summary.json and report.html keep its verdict/)
  assert.equal(readFileSync(join(healthy, 'summary.json'), 'utf8'), own, 'the run keeps its own verdict')
  const rejudged = join(parent, 'rejudged')
  const written = cli([
    'report',
    healthy,
    '--threshold',
    'http_req_duration: p(50)<0.5',
    '--no-default-slos',
    '--out',
    rejudged,
  ])
  assert.equal(written.code, 99)
  assert.deepEqual(
    readSummary(rejudged).thresholds.map((t) => `${t.metric}: ${t.expr}`),
    ['http_req_duration: p(50)<0.5'],
  )
  assert.ok(existsSync(join(rejudged, 'report.html')))
  assert.equal(readSummary(healthy).passed, true)
  const lenient = cli([
    'report',
    collapsed,
    '--threshold',
    'http_reqs: count>100',
    '--no-default-slos',
    '--quiet',
  ])
  assert.equal(lenient.code, 0)
  assert.doesNotMatch(lenient.stdout, /endpoint/)
})

test('report --threshold on an endpoint the run did not send is refused (exit 2) with its endpoints', () => {
  const { code, stderr } = cli([
    'report',
    healthy,
    '--threshold',
    'http_req_duration{endpoint:post_sesion}: p(95)<500',
  ])
  assert.equal(code, 2, stderr)
  assert.match(
    stderr,
    /endpoint "post_sesion", which this run did not send: its endpoints: get_session, post_session/,
  )
})

test('report DIR/summary.json is taken as the run folder (as compare takes it)', () => {
  const { code, stderr, stdout } = cli(['report', join(healthy, 'summary.json'), '--quiet'])
  assert.equal(code, 0, stderr)
  assert.match(stdout, new RegExp(`summary: ${join(healthy, 'summary.json')}`))
})

test('report rebuilds a run killed mid-line (no end line, torn last line)', () => {
  const text = synthesizeRun({ seconds: 12, seed: 3, end: null }).text
  const dir = writeRunFolder(parent, 'killed', text.slice(0, text.length - 300))
  const { code, stdout, stderr } = cli(['report', dir])
  assert.equal(code, 0, stderr)
  assert.match(stdout, /Skipped a torn last line \(line 13\) of series\.ndjson/)
  assert.match(stdout, /ended without an end line \(killed\?\)/)
  const summary = readSummary(dir)
  assert.equal(summary.endReason, 'incomplete')
  assert.equal(summary.durationS, 11)
})

const onlySeries = writeRunFolder(parent, 'only-series', synthesizeRun({ seconds: 2 }).text)
const BAD: readonly (readonly [string, readonly string[], RegExp])[] = [
  [
    'garbage threshold',
    ['report', 'x', '--threshold', 'garbage'],
    /invalid --threshold "garbage": expected METRIC: CONDITION/,
  ],
  ['unknown metric', ['report', 'x', '--threshold', 'latency: p(95)<5'], /unknown metric "latency"/],
  [
    'not a run folder',
    ['report', join(parent, 'nope')],
    /series\.ndjson does not exist: not a checkin-load run folder/,
  ],
  [
    'compare a missing folder',
    ['compare', healthy, join(parent, 'nope')],
    /nope does not exist: give a run folder or its summary\.json/,
  ],
  [
    'compare without summary',
    ['compare', healthy, onlySeries],
    /is not a run folder: it has no summary\.json \(if it has a series\.ndjson, `checkin-load report .*only-series` rebuilds it\)/,
  ],
  [
    'compare a bad schema version',
    ['compare', healthy, join(parent, 'v2.json')],
    /schemaVersion 2, which this checkin-load does not read/,
  ],
  [
    'compare a non-summary',
    ['compare', healthy, join(parent, 'other.json')],
    /is not a checkin-load summary/,
  ],
  ['report missing argument', ['report'], /missing required argument 'dir'/],
]
writeFileSync(join(parent, 'v2.json'), JSON.stringify({ schemaVersion: 2 }))
writeFileSync(join(parent, 'other.json'), JSON.stringify({ hello: 'world' }))

for (const [name, args, message] of BAD) {
  test(`bad input: ${name} -> exit 2 and one line`, () => {
    const { code, stderr } = cli(args)
    assert.equal(code, 2, stderr)
    assert.match(stderr, message)
    assert.doesNotMatch(stderr, /\n\s+at .*\(.*:\d+:\d+\)/, 'no stack trace')
    assert.ok(stderr.trim().split('\n').length <= 2, stderr)
  })
}

test('compare BASE NEW: a regression in text and JSON, with the rules stated', () => {
  cli(['report', healthy])
  cli(['report', collapsed])
  const text = cli(['compare', healthy, collapsed])
  assert.equal(text.code, 0, text.stderr)
  assert.match(text.stdout, /Comparing BASE healthy with NEW collapsed/)
  assert.match(text.stdout, /get_session: REGRESSION \(latency p95 worse: /)
  assert.match(text.stdout, /Overall: REGRESSION/)
  assert.match(
    text.stdout,
    /Rules:\n {2}- latency p95 \(from intended time\) worse\/better by more than 10% and more than 5 ms/,
  )
  const json = JSON.parse(cli(['compare', healthy, collapsed, '--json']).stdout)
  assert.equal(json.verdict, 'regression')
  assert.deepEqual(Object.keys(json), ['base', 'new', 'verdict', 'rules', 'endpoints', 'total', 'notes'])
  assert.equal(json.base.runId, 'healthy')
  assert.equal(json.endpoints.get_session.verdict, 'regression')
  assert.deepEqual(Object.keys(json.endpoints.get_session.metrics), [
    'achievedRps',
    'p50Ms',
    'p95Ms',
    'p99Ms',
    'errorRate',
    'droppedRate',
    'delivery',
  ])
  assert.equal(json.endpoints.get_session.metrics.p95Ms.change, 'worse')
  const improvement = JSON.parse(cli(['compare', collapsed, healthy, '--json']).stdout)
  assert.equal(improvement.verdict, 'improvement')
})

test('--junit into a folder that does not exist: the folder is made (report and run); an impossible path is refused before any load', () => {
  const missing = join(parent, 'no-such', 'ci', 'junit.xml')
  const rebuilt = cli(['report', healthy, '--junit', missing, '--quiet'])
  assert.equal(rebuilt.code, 0, rebuilt.stderr)
  assert.match(readFileSync(missing, 'utf8'), /<testsuites/)

  const out = join(parent, 'runs')
  const junit = join(parent, 'run-ci', 'deep', 'junit.xml')
  const run = cli([
    'run',
    '--duration',
    '1s',
    '--scale',
    '0.1',
    // a 1 s run may miss an endpoint, whose built-in SLO then fails as "no data": judge nothing
    '--no-default-slos',
    '--quiet',
    '--out',
    out,
    '--run-id',
    'j',
    '--junit',
    junit,
  ])
  assert.equal(run.code, 0, run.stderr)
  assert.match(readFileSync(junit, 'utf8'), /<testsuites/)

  const aFile = join(parent, 'a-file')
  writeFileSync(aFile, 'x')
  const refused = cli([
    'run',
    '--duration',
    '1s',
    '--quiet',
    '--out',
    out,
    '--run-id',
    'k',
    '--junit',
    join(aFile, 'junit.xml'),
  ])
  assert.equal(refused.code, 2, refused.stderr)
  assert.match(
    refused.stderr,
    /cannot write --junit .*a-file\/junit\.xml: a part of the path is a file, not a folder/,
  )
  assert.equal(existsSync(join(out, 'k')), false, 'no run folder: nothing was sent')
})
