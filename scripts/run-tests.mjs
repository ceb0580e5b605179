// Runs the built tests (dist/) in phases, as scripts/test-suites.mjs sorts them, through one Node
// test reporter: one stream of results and one closing summary (tests, pass, fail, ...) for all
// phases, as `node --test` prints it. Exit 1 when any test failed or was cancelled.
//
//   node scripts/run-tests.mjs unit   the unit tests only, under the socket/process guard
//   node scripts/run-tests.mjs all    unit, then what times nothing (concurrently), then the
//                                     timing-sensitive files one at a time
// Options: --concurrency N (default: the cores, at least 2), --reporter spec|tap|dot (default:
// spec on a terminal, tap otherwise, as `node --test`).
import { readdirSync, statSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { Readable } from 'node:stream'
import { run } from 'node:test'
import { dot, spec, tap } from 'node:test/reporters'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { SRC_NOT_UNIT, SRC_TIMING, TEST_CONCURRENT } from './test-suites.mjs'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const TIMEOUT_MS = 300_000
const SUMMARY_KEYS = ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo']

function usage(message) {
  console.error(`run-tests: ${message}`)
  console.error('usage: node scripts/run-tests.mjs unit|all [--concurrency N] [--reporter spec|tap|dot]')
  process.exit(2)
}

function parseArgs(argv) {
  const [suite, ...rest] = argv
  if (suite !== 'unit' && suite !== 'all') usage(`unknown suite ${JSON.stringify(suite)}`)
  let concurrency = Math.max(2, availableParallelism())
  let reporter = process.stdout.isTTY ? 'spec' : 'tap'
  for (let i = 0; i < rest.length; i += 2) {
    const [flag, value] = [rest[i], rest[i + 1]]
    if (flag === '--concurrency' && /^[1-9]\d*$/.test(value ?? '')) concurrency = Number(value)
    else if (flag === '--reporter' && ['spec', 'tap', 'dot'].includes(value)) reporter = value
    else usage(`bad option ${flag} ${value ?? ''}`)
  }
  return { suite, concurrency, reporter }
}

/** Test sources under a folder, as repository-relative paths with forward slashes. */
function testSources(folder) {
  const found = []
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) walk(path)
      else if (name.endsWith('.test.ts')) found.push(relative(ROOT, path).split(sep).join('/'))
    }
  }
  walk(join(ROOT, folder))
  return found.sort()
}

/** The built file of a test source; the sources decide, so stale files in dist/ never run. */
const built = (source) => join(ROOT, 'dist', source.replace(/\.ts$/, '.js'))

function phasesOf(suite, concurrency) {
  const src = testSources('src')
  const test = testSources('test')
  const listed = [...Object.keys(SRC_NOT_UNIT), ...Object.keys(SRC_TIMING), ...Object.keys(TEST_CONCURRENT)]
  const stale = listed.filter((file) => !src.includes(file) && !test.includes(file))
  // a warning, not a failure: a renamed test file runs (alone, or as a unit test) all the same
  if (stale.length > 0)
    console.error(`run-tests: warning: scripts/test-suites.mjs lists no such file: ${stale.join(', ')}`)
  const missing = [...src, ...test].filter((file) => !statExists(built(file)))
  if (missing.length > 0) usage(`not built (run npx tsc -p tsconfig.json): ${missing.join(', ')}`)

  const unit = src.filter((f) => !(f in SRC_NOT_UNIT) && !(f in SRC_TIMING))
  const guard = pathToFileURL(join(ROOT, 'scripts', 'unit-guard.mjs')).href
  const phases = [{ name: 'unit', files: unit, concurrency, nodeOptions: `--import=${guard}` }]
  if (suite === 'unit') return phases
  const concurrent = [...src.filter((f) => f in SRC_NOT_UNIT), ...test.filter((f) => f in TEST_CONCURRENT)]
  const serial = [...src.filter((f) => f in SRC_TIMING), ...test.filter((f) => !(f in TEST_CONCURRENT))]
  phases.push({ name: 'timing nothing', files: concurrent, concurrency })
  phases.push({ name: 'timing-sensitive, one at a time', files: serial, concurrency: 1 })
  return phases
}

function statExists(path) {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** The phases' events as one run: top-level tests numbered on, the summaries added into one. */
async function* events(phases, totals) {
  const started = performance.now()
  let numbered = 0
  for (const phase of phases) {
    if (phase.files.length === 0) continue
    console.error(`run-tests: ${phase.name}: ${phase.files.length} files, ${phase.concurrency} at a time`)
    const phaseStarted = performance.now()
    const previous = process.env.NODE_OPTIONS
    // the children inherit it: the only way to preload into them from run() on Node 20
    if (phase.nodeOptions) process.env.NODE_OPTIONS = `${previous ?? ''} ${phase.nodeOptions}`.trim()
    const stream = run({ files: phase.files.map(built), concurrency: phase.concurrency, timeout: TIMEOUT_MS })
    let topLevel = 0
    for await (const event of stream) {
      const { type, data } = event
      const root = data.nesting === 0 && data.file === undefined
      if (root && type === 'test:plan') {
        topLevel += data.count
        continue
      }
      if (root && type === 'test:diagnostic') {
        const [key, value] = data.message.split(' ')
        if (SUMMARY_KEYS.includes(key) || key === 'duration_ms') {
          if (key !== 'duration_ms') totals[key] = (totals[key] ?? 0) + Number(value)
          continue
        }
      }
      if (data.nesting === 0 && (type === 'test:pass' || type === 'test:fail')) {
        yield { type, data: { ...data, testNumber: data.testNumber + numbered } }
      } else yield event
    }
    if (phase.nodeOptions) restore('NODE_OPTIONS', previous)
    console.error(
      `run-tests: ${phase.name}: done in ${((performance.now() - phaseStarted) / 1000).toFixed(1)} s`,
    )
    numbered += topLevel
  }
  yield { type: 'test:plan', data: { nesting: 0, count: numbered } }
  for (const key of SUMMARY_KEYS)
    yield { type: 'test:diagnostic', data: { nesting: 0, message: `${key} ${totals[key] ?? 0}` } }
  const durationMs = performance.now() - started
  yield { type: 'test:diagnostic', data: { nesting: 0, message: `duration_ms ${durationMs}` } }
}

function restore(name, value) {
  if (value === undefined) delete process.env[name]
  else process.env[name] = value
}

const { suite, concurrency, reporter } = parseArgs(process.argv.slice(2))
const phases = phasesOf(suite, concurrency)
const totals = {}
const format = { spec: () => new spec(), tap: () => tap, dot: () => dot }[reporter]()
const output = Readable.from(events(phases, totals)).compose(format)
output.pipe(process.stdout)
await new Promise((done, fail) => output.on('end', done).on('error', fail))
if ((totals.tests ?? 0) === 0 || (totals.fail ?? 0) > 0 || (totals.cancelled ?? 0) > 0) process.exitCode = 1
