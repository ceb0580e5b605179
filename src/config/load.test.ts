import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { resolveRunConfig } from './load.js'
import { thresholdSpecs } from './thresholds.js'

const dir = mkdtempSync(join(tmpdir(), 'checkin-load-config-'))
const file = (name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

test('defaults: the embedded stand-in, the built-in profile, a short ramp then a hold', () => {
  const config = resolveRunConfig()
  assert.equal(config.target, undefined)
  assert.equal(config.profile, 'vets-api-checkin')
  assert.equal(config.scale, 1)
  assert.equal(config.arrival, 'poisson')
  assert.deepEqual(config.stages, [
    { durationMs: 10_000, target: 0.2 },
    { durationMs: 10_000, target: 1 },
    { durationMs: 40_000, target: 1 },
  ])
  assert.equal(config.timeoutMs, 30_000)
  assert.equal(config.mockPreset, 'fast')
})

test('precedence: defaults <- config file <- flags', () => {
  const configFile = file(
    'run.yaml',
    'scale: 3\narrival: constant\nduration: 2m\ntimeout: 5s\nheaders:\n  x-key-inflection: camel\n',
  )
  const fromFile = resolveRunConfig({ configFile })
  assert.equal(fromFile.scale, 3)
  assert.equal(fromFile.arrival, 'constant')
  assert.deepEqual(fromFile.stages, [{ durationMs: 120_000, target: 1 }])
  assert.equal(fromFile.startShare, 1, 'a duration holds 1x from the start')
  assert.equal(fromFile.timeoutMs, 5000)

  const both = resolveRunConfig({
    configFile,
    flags: { scale: 0.5, stages: [{ durationMs: 1000, target: 2 }], headers: { authorization: 'x' } },
  })
  assert.equal(both.scale, 0.5) // flag wins
  assert.equal(both.arrival, 'constant') // file kept
  assert.deepEqual(both.stages, [{ durationMs: 1000, target: 2 }]) // flag stages replace file duration
  assert.equal(both.startShare, 0, "the flags' stages ramp from 0, whatever the file's duration said")
  assert.deepEqual(both.headers, { 'x-key-inflection': 'camel', authorization: 'x' }) // headers merge
})

test('a JSON config file with stages as a list and k6 thresholds', () => {
  const configFile = file(
    'run.json',
    JSON.stringify({
      stages: [
        { duration: '30s', target: 0.5 },
        { duration: 60, target: 1 },
      ],
      thresholds: {
        'http_req_duration{endpoint:post_session}': [
          'p(95)<500',
          { threshold: 'p(99)<900', abortOnFail: true, delayAbortEval: '20s' },
        ],
        http_req_failed: ['rate<0.01'],
      },
    }),
  )
  const config = resolveRunConfig({ configFile })
  assert.deepEqual(config.stages, [
    { durationMs: 30_000, target: 0.5 },
    { durationMs: 60_000, target: 1 },
  ])
  assert.deepEqual(config.thresholds, [
    {
      metric: 'http_req_duration{endpoint:post_session}',
      conditions: ['p(95)<500'],
      abortOnFail: false,
      delayAbortEvalMs: 10_000,
    },
    {
      metric: 'http_req_duration{endpoint:post_session}',
      conditions: ['p(99)<900'],
      abortOnFail: true,
      delayAbortEvalMs: 20_000,
    },
    { metric: 'http_req_failed', conditions: ['rate<0.01'], abortOnFail: false, delayAbortEvalMs: 10_000 },
  ])
})

test('abortOnFail belongs to the condition that carries it (k6), not to the whole metric', () => {
  const configFile = file(
    'abort.yaml',
    [
      'thresholds:',
      '  "http_req_duration{endpoint:post_session}":',
      '    - "p(95)<0.001"',
      '    - { threshold: "p(99)<100000", abortOnFail: true, delayAbortEval: 2s }',
    ].join('\n'),
  )
  const config = resolveRunConfig({ configFile })
  const specs = thresholdSpecs(config.thresholds)
  const aborting = specs.filter((s) => s.abortOnFail).flatMap((s) => s.conditions.map((c) => c.text))
  const plain = specs.filter((s) => !s.abortOnFail).flatMap((s) => s.conditions.map((c) => c.text))
  assert.deepEqual(aborting, ['p(99)<100000'])
  assert.deepEqual(plain, ['p(95)<0.001'])
  assert.equal(specs.find((s) => s.abortOnFail)?.delayAbortEvalMs, 2000)
})

for (const [name, text, message] of [
  ['unknown-key.yaml', 'scael: 2\n', /unknown key "scael": did you mean scale\?/],
  ['flag-only.yaml', 'no-default-slos: true\n', /unknown key "no-default-slos": write defaultSlos: false/],
  [
    'bad-stage.yaml',
    'stages: [{durationMs: -5, target: 0.2}]\n',
    /stages\.0\.durationMs: .*; write stages as/,
  ],
  [
    'bad-threshold-key.yaml',
    'thresholds: {http_req_failed: [{treshold: "rate<0.1"}]}\n',
    /thresholds\.http_req_failed\.0.*; write thresholds as/,
  ],
  [
    'unknown-endpoint.yaml',
    'thresholds: {"http_req_duration{endpoint:post_sesion}": ["p(95)<500"]}\n',
    /endpoint "post_sesion", which this run does not send: did you mean post_session\? known: get_session, post_session/,
  ],
  ['bad-type.yaml', 'scale: two\n', /scale: .*number/],
  ['bad-duration.yaml', 'duration: 5 minutes\n', /invalid duration in .*like 250ms/],
  ['both.yaml', 'duration: 1m\nstages: "1m:1"\n', /both stages and a duration/],
  ['not-object.yaml', '- 1\n- 2\n', /must hold an object/],
  ['broken.yaml', 'scale: [1,\n', /is not valid YAML/],
  ['broken.json', '{"scale": 1,,}', /is not valid JSON/],
] as const) {
  test(`config file ${name} is refused: ${message}`, () => {
    assert.throws(() => resolveRunConfig({ configFile: file(name, text) }), { code: 'CL_CONFIG', message })
  })
}

test("a flag's spelling is a key of the config file (max-in-flight is maxInFlight)", () => {
  const config = resolveRunConfig({
    configFile: file('kebab.yaml', 'max-in-flight: 7\nmock-time-scale: 0.25\ntimeout: 2s\n'),
  })
  assert.equal(config.maxInFlight, 7)
  assert.equal(config.mockTimeScale, 0.25)
  assert.throws(
    () => resolveRunConfig({ configFile: file('twice.yaml', 'max-in-flight: 7\nmaxInFlight: 8\n') }),
    {
      message: /"maxInFlight" and "maxInFlight" are the same setting|the same setting/,
    },
  )
})

test('a threshold on an endpoint the run does not send is refused before the run, from flags too', () => {
  assert.throws(
    () =>
      resolveRunConfig({
        flags: {
          thresholds: [{ metric: 'http_req_duration{endpoint:post_sesion}', conditions: ['p(95)<500'] }],
        },
      }),
    { code: 'CL_CONFIG', message: /post_sesion.*did you mean post_session/ },
  )
  assert.throws(
    () =>
      resolveRunConfig({
        flags: {
          thresholds: [
            { metric: 'http_req_duration{endpoint:patch_demographics}', conditions: ['p(95)<500'] },
          ],
        },
      }),
    { message: /--with-demographics/ },
  )
  const ok = resolveRunConfig({
    flags: {
      withDemographics: true,
      thresholds: [{ metric: 'http_req_duration{endpoint:patch_demographics}', conditions: ['p(95)<500'] }],
    },
  })
  assert.equal(ok.thresholds.length, 1)
})

test('a production target in a config file is refused', () => {
  assert.throws(() => resolveRunConfig({ configFile: file('prod.yaml', 'target: https://www.va.gov\n') }), {
    code: 'CL_PRODUCTION_TARGET',
    message: /refusing to load-test production host "www.va.gov"/,
  })
})

test('a missing config file is named', () => {
  assert.throws(
    () => resolveRunConfig({ configFile: join(dir, 'nope.yaml') }),
    /config file ".*nope.yaml" does not exist/,
  )
})

test('headers from env must name a set variable', () => {
  assert.throws(
    () => resolveRunConfig({ flags: { headersFromEnv: { authorization: 'CHECKIN_LOAD_SURELY_UNSET' } } }),
    /CHECKIN_LOAD_SURELY_UNSET, which is not set/,
  )
})

test('rate and duration caps need --no-limits', () => {
  assert.throws(() => resolveRunConfig({ flags: { scale: 150 } }), /over the 20000 req\/s cap/)
  assert.equal(resolveRunConfig({ flags: { scale: 150, noLimits: true } }).scale, 150)
  assert.throws(() => resolveRunConfig({ flags: { durationMs: 5 * 3_600_000 } }), /over the 4 h cap/)
})
