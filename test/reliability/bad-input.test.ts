import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { pathToFileURL } from 'node:url'
import fc from 'fast-check'
import { normalizeConfigFile, parseStartAt, resolveRunConfig } from '../../src/config/load.js'
import {
  formatDuration,
  type NumberRule,
  parseDuration,
  parseHeader,
  parseNumber,
  parseShard,
  parseStages,
} from '../../src/config/parse.js'
import { type RunConfigInput, runConfigSchema } from '../../src/config/schema.js'
import { parseThreshold } from '../../src/config/thresholds.js'
import { isCheckinLoadError } from '../../src/errors.js'
import { runCli, tempDir } from '../faults/run-cli.js'
import { fuzzParameters } from '../helpers/fuzz.js'

/**
 * Bad input everywhere: every parser of what users type (durations, numbers, stages, headers,
 * shards, start times, thresholds, whole config files, the command line) gives a valid value or a
 * ConfigError (exit 2) with a one-line message, never another exception, for any input fast-check
 * can think of: random text, and "token soup" mixing the grammar's own pieces, which reaches far
 * deeper into a parser than random characters do.
 */
const dir = tempDir('bad-input')
after(() => rmSync(dir, { recursive: true, force: true }))

const RUNS = fuzzParameters(400)

/** Pieces of every grammar the parsers read, and characters that trip parsers up. */
const TOKENS = [
  '0',
  '1',
  '5',
  '9',
  '10',
  '0.5',
  '.',
  '-',
  '+',
  'e',
  'E',
  '1e3',
  'Infinity',
  'NaN',
  '0x1f',
  '9'.repeat(40),
  '9'.repeat(320),
  'ms',
  's',
  'm',
  'h',
  'd',
  ' ',
  '\t',
  '\n',
  '\r',
  '\u0000',
  ':',
  ',',
  '/',
  '=',
  '{',
  '}',
  '(',
  ')',
  '<',
  '<=',
  '>',
  '>=',
  '==',
  '!=',
  'p(',
  'p(95)',
  'avg',
  'rate',
  'count',
  'med',
  'max',
  'min',
  'http_req_duration',
  'http_req_failed',
  'http_reqs',
  'dropped',
  'send_lag',
  'endpoint',
  'post_session',
  'T',
  'Z',
  '2026-11-27',
  '10:00:00',
  'X-Key',
  'Authorization',
  'Bearer',
  'é',
  '😀',
  '"',
  "'",
  '\\',
]
const tokenSoup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 12 }).map((parts) => parts.join(''))
const anyText = fc.oneof(
  tokenSoup,
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
)

/** A user's mistake: a ConfigError/UsageError, exit 2, one line that says something. */
function assertUserError(error: unknown, input: unknown): void {
  assert.ok(isCheckinLoadError(error), `not a ConfigError for ${JSON.stringify(input)}: ${String(error)}`)
  assert.equal(error.exitCode, 2)
  assert.ok(error.message.length > 10, error.message)
}

/** Calls `parse`; a value must pass `check`, an error must be a user error. */
function valueOrUserError<T>(input: unknown, parse: () => T, check: (value: T) => void): void {
  let value: T
  try {
    value = parse()
  } catch (error) {
    assertUserError(error, input)
    return
  }
  check(value)
}

const isWholeMs = (ms: number) => Number.isSafeInteger(ms) && ms >= 0

test('parseDuration: a whole number of ms or a ConfigError; formatDuration round-trips', () => {
  fc.assert(
    fc.property(anyText, (text) =>
      valueOrUserError(
        text,
        () => parseDuration(text, '--duration'),
        (ms) => assert.ok(isWholeMs(ms), `${ms}`),
      ),
    ),
    RUNS,
  )
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 400 * 3_600_000 }), (ms) => {
      assert.equal(parseDuration(formatDuration(ms)), ms)
    }),
    RUNS,
  )
})

test('parseNumber: a finite number within the rule, or a ConfigError', () => {
  const rule = fc.record(
    {
      min: fc.integer({ min: -5, max: 5 }),
      max: fc.integer({ min: 5, max: 100 }),
      integer: fc.boolean(),
      exclusiveMin: fc.boolean(),
    },
    { requiredKeys: [] },
  )
  fc.assert(
    fc.property(anyText, rule, (text, r: NumberRule) =>
      valueOrUserError(
        text,
        () => parseNumber(text, '--scale', r),
        (x) => {
          assert.ok(Number.isFinite(x))
          if (r.integer) assert.ok(Number.isInteger(x))
          if (r.min !== undefined) assert.ok(r.exclusiveMin ? x > r.min : x >= r.min)
          if (r.max !== undefined) assert.ok(x <= r.max)
        },
      ),
    ),
    RUNS,
  )
})

test('parseStages: stages with whole positive durations and finite shares, or a ConfigError', () => {
  const stageText = fc
    .array(fc.tuple(tokenSoup, fc.constantFrom(':', ''), tokenSoup), { maxLength: 4 })
    .map((items) => items.map(([d, sep, t]) => `${d}${sep}${t}`).join(','))
  fc.assert(
    fc.property(fc.oneof(stageText, anyText), (text) =>
      valueOrUserError(
        text,
        () => parseStages(text),
        (stages) => {
          assert.ok(stages.length > 0)
          for (const s of stages) {
            assert.ok(isWholeMs(s.durationMs) && s.durationMs > 0, JSON.stringify(s))
            assert.ok(Number.isFinite(s.target) && s.target >= 0, JSON.stringify(s))
          }
        },
      ),
    ),
    RUNS,
  )
})

test('parseHeader: a token name and a one-line value, or a ConfigError that never repeats the value', () => {
  const secret = fc.stringMatching(/^[A-Za-z0-9]{6,20}$/).map((s) => `S3cr3t${s}`)
  fc.assert(
    fc.property(
      anyText,
      fc.constantFrom(':', ': ', ' ', '', '=', ':\n', ': x\r\n'),
      secret,
      (name, sep, value) => {
        const text = `${name}${sep}${value}`
        valueOrUserError(
          text,
          () => {
            try {
              return parseHeader(text)
            } catch (error) {
              assert.ok(
                !(error as Error).message.includes(value),
                `the value leaked: ${(error as Error).message}`,
              )
              throw error
            }
          },
          ([n, v]) => {
            assert.match(n, /^[!#$%&'*+.^_`|~0-9a-z-]+$/)
            assert.equal(v, v.trim())
            for (const ch of v)
              assert.ok(ch === '\t' || ch >= ' ', `control character in ${JSON.stringify(v)}`)
          },
        )
      },
    ),
    RUNS,
  )
})

test('parseShard and parseStartAt: valid values or a ConfigError', () => {
  fc.assert(
    fc.property(anyText, (text) => {
      valueOrUserError(
        text,
        () => parseShard(text),
        ({ index, count }) => {
          assert.ok(Number.isInteger(index) && Number.isInteger(count) && index >= 0 && index < count)
        },
      )
      valueOrUserError(
        text,
        () => parseStartAt(text),
        (ms) => assert.ok(Number.isFinite(ms)),
      )
    }),
    RUNS,
  )
})

test('parseThreshold: a spec with finite bounds and percentiles in (0, 100], or a ConfigError', () => {
  const metric = fc.constantFrom(
    'http_req_duration',
    'http_req_failed',
    'http_reqs',
    'dropped',
    'send_lag',
    'latency',
    '',
  )
  const tag = fc.oneof(
    fc.constant(''),
    tokenSoup.map((t) => `{${t}}`),
    fc.constant('{endpoint:post_session}'),
  )
  const thresholdText = fc
    .tuple(metric, tag, fc.constantFrom(':', ': ', ''), fc.array(tokenSoup, { minLength: 1, maxLength: 3 }))
    .map(([m, t, sep, conditions]) => `${m}${t}${sep}${conditions.join(',')}`)
  fc.assert(
    fc.property(fc.oneof(thresholdText, anyText), (text) =>
      valueOrUserError(
        text,
        () => parseThreshold(text, '--threshold'),
        (spec) => {
          assert.ok(spec.conditions.length > 0)
          for (const c of spec.conditions) {
            assert.ok(Number.isFinite(c.bound))
            if (c.aggregation.kind === 'percentile') assert.ok(c.aggregation.p > 0 && c.aggregation.p <= 100)
          }
        },
      ),
    ),
    RUNS,
  )
})

test('a whole config file of anything: a valid, frozen RunConfig or a ConfigError', () => {
  const value = fc.oneof(
    anyText,
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.oneof(anyText, fc.integer(), fc.record({ duration: anyText, target: fc.double() })), {
      maxLength: 3,
    }),
    fc.dictionary(anyText, fc.oneof(anyText, fc.integer(), fc.array(anyText, { maxLength: 2 })), {
      maxKeys: 3,
    }),
  )
  const key = fc.constantFrom(
    'target',
    'scale',
    'duration',
    'stages',
    'timeout',
    'thresholds',
    'headers',
    'headersFromEnv',
    'maxInFlight',
    'arrival',
    'seed',
    'startAt',
    'shard',
    'prometheusPort',
    'prometheusLinger',
    'runId',
    'noLimits',
    'allowProduction',
    'checkInsPerHour',
    'startShare',
    'tags',
    'unknownKey',
  )
  const file = fc.oneof(fc.dictionary(key, value, { maxKeys: 5 }), fc.anything())
  fc.assert(
    fc.property(file, (data) =>
      valueOrUserError(
        data,
        () => resolveRunConfig({ flags: normalizeConfigFile(data, 'fuzz.yaml') as Partial<RunConfigInput> }),
        (config) => {
          assert.ok(Object.isFrozen(config))
          assert.ok(runConfigSchema.safeParse(config).success)
        },
      ),
    ),
    RUNS,
  )
})

/** The flags of `config` (which resolves the run config exactly as `run` does, and sends nothing). */
const FLAGS = [
  '--target',
  '--scale',
  '--duration',
  '--stages',
  '--arrival',
  '--max-in-flight',
  '--timeout',
  '--connections',
  '--header',
  '--header-from-env',
  '--threshold',
  '--shard',
  '--start-at',
  '--seed',
  '--prometheus-port',
  '--prometheus-linger',
  '--workers',
  '--mock-time-scale',
  '--mock-workers',
  '--run-id',
  '--check-ins-per-hour',
  '--tag',
]
const SWITCHES = [
  '--no-limits',
  '--allow-production',
  '--insecure',
  '--quiet',
  '--no-default-slos',
  '--frobnicate',
]

test('the command line: any flags and values exit 0 or 2, with one or two lines and never a stack', () => {
  const argv = fc
    .array(
      fc.oneof(
        fc.tuple(fc.constantFrom(...FLAGS), anyText),
        fc.tuple(fc.constantFrom(...SWITCHES)),
        fc.tuple(
          fc.constantFrom('--target'),
          fc.constantFrom('http://127.0.0.1:3000', 'https://API.VA.GOV.:443'),
        ),
      ),
      { maxLength: 4 },
    )
    .map((pairs) => ['config', ...pairs.flat()])
  const argvs = fc.sample(argv, fuzzParameters(300))
  // one process runs main() on every argv (a spawn each would take minutes); it captures each output
  const harness = join(dir, 'harness.mjs')
  const mainUrl = pathToFileURL(join(import.meta.dirname, '../../src/cli/main.js')).href
  writeFileSync(
    harness,
    `import { readFileSync } from 'node:fs'
import { main } from ${JSON.stringify(mainUrl)}
const argvs = JSON.parse(readFileSync(0, 'utf8'))
const write = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) }
const results = []
for (const argv of argvs) {
  let stdout = ''
  let stderr = ''
  process.stdout.write = (chunk) => ((stdout += chunk), true)
  process.stderr.write = (chunk) => ((stderr += chunk), true)
  process.exitCode = undefined
  let code
  try {
    code = await main(argv)
  } catch (error) {
    code = 'threw: ' + (error && error.stack)
  }
  process.stdout.write = write.out
  process.stderr.write = write.err
  results.push({ argv, code, stderr })
}
process.exitCode = 0
write.out(JSON.stringify(results))
`,
  )
  const ran = spawnSync(process.execPath, [harness], {
    input: JSON.stringify(argvs),
    encoding: 'utf8',
    env: { ...process.env, CL_FUZZ_SET: 'x', NO_COLOR: '1' },
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
  })
  assert.equal(ran.status, 0, ran.stderr)
  const results = JSON.parse(ran.stdout) as { argv: string[]; code: unknown; stderr: string }[]
  assert.equal(results.length, argvs.length)
  const codes = new Map<unknown, number>()
  for (const { argv, code, stderr } of results) {
    codes.set(code, (codes.get(code) ?? 0) + 1)
    const why = `${JSON.stringify(argv)} -> ${String(code)}: ${stderr}`
    assert.ok(code === 0 || code === 2, why)
    if (code === 2) {
      assert.ok(stderr.trim().length > 0, why)
      assert.ok(stderr.trim().split('\n').length <= 2, why)
      assert.doesNotMatch(stderr, /\n\s+at .*:\d+:\d+/, why)
    }
  }
  assert.ok((codes.get(2) ?? 0) > 0 && (codes.get(0) ?? 0) > 0, `both outcomes seen: ${[...codes]}`)
})

test('a sample of bad input through bin/checkin-load.js: exit 2, one line', async () => {
  for (const args of [
    ['run', '--duration', '9'.repeat(400)],
    ['run', '--header', 'X-A: a\r\nX-Injected: b'],
    ['run', '--stages', '1m:0.1,,'],
    ['run', '--threshold', 'http_req_duration{endpoint:post_session: p(95)<500'],
    ['config', '--scale', '1e999'],
  ]) {
    const run = await runCli(args, { killAfterMs: 30_000 })
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`)
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr)
    assert.match(run.stderr, /^checkin-load: /)
  }
})

test('--out on a pseudo filesystem (/proc) or under a file: exit 2 within 5 s, one line, no load sent', async () => {
  const file = join(dir, 'a-file')
  writeFileSync(file, 'x')
  for (const out of ['/proc/x/results', join(file, 'results')]) {
    const run = await runCli(['run', '--out', out, '--duration', '5s'], { killAfterMs: 20_000 })
    assert.equal(run.code, 2, `--out ${out}: ${run.stderr}`)
    assert.ok(run.wallMs < 5000, `--out ${out} took ${run.wallMs} ms`)
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr)
    assert.match(run.stderr, /^checkin-load: cannot write the results in .*; choose another --out/)
  }
})
