import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import fc from 'fast-check'
import { stringify as toYaml } from 'yaml'
import { fuzzParameters } from '../../test/helpers/fuzz.js'
import { resolveRunConfig } from './load.js'
import type { RunConfigInput } from './schema.js'
import { shownConfig } from './show.js'

const dir = mkdtempSync(join(tmpdir(), 'checkin-load-show-'))

const ENDPOINTS = ['get_session', 'post_session', 'get_patient_check_in', 'post_pre_check_in'] as const
const threshold = fc.record({
  metric: fc.oneof(
    fc.constantFrom(...ENDPOINTS).map((e) => `http_req_duration{endpoint:${e}}`),
    fc.constant('http_req_failed'),
  ),
  conditions: fc.array(fc.integer({ min: 1, max: 99 }), { minLength: 1, maxLength: 3 }),
  abortOnFail: fc.boolean(),
  delayAbortEvalMs: fc.integer({ min: 0, max: 60_000 }),
})

/** RunConfig input as flags would give it: a random subset of keys, within the caps. */
const flags: fc.Arbitrary<Partial<RunConfigInput>> = fc
  .record(
    {
      target: fc.constantFrom('http://127.0.0.1:3000', 'https://staging-api.va.gov'),
      scale: fc.double({ min: 0.01, max: 5, noNaN: true }),
      stages: fc.array(
        fc.record({
          durationMs: fc.integer({ min: 1, max: 600_000 }),
          target: fc.double({ min: 0, max: 3, noNaN: true }),
        }),
        { minLength: 1, maxLength: 4 },
      ),
      startShare: fc.double({ min: 0, max: 1, noNaN: true }),
      arrival: fc.constantFrom('poisson', 'constant'),
      maxInFlight: fc.integer({ min: 1, max: 100_000 }),
      timeoutMs: fc.integer({ min: 1, max: 120_000 }),
      connections: fc.integer({ min: 1, max: 1000 }),
      thresholds: fc.array(threshold, { maxLength: 3 }),
      defaultSlos: fc.boolean(),
      withDemographics: fc.boolean(),
      seed: fc.integer(),
      runId: fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/),
      tags: fc.array(fc.stringMatching(/^[a-z]{1,5}:[a-z0-9]{1,5}$/), { maxLength: 3 }),
      shard: fc
        .integer({ min: 1, max: 8 })
        .chain((count) =>
          fc.record({ index: fc.integer({ min: 0, max: count - 1 }), count: fc.constant(count) }),
        ),
      mockPreset: fc.constantFrom('fast', 'staging-2022'),
      mockTimeScale: fc.double({ min: 0.01, max: 2, noNaN: true }),
      quiet: fc.boolean(),
      insecure: fc.boolean(),
      prometheusPort: fc.integer({ min: 0, max: 65_535 }),
    },
    { requiredKeys: [] },
  )
  .map((f) => ({
    ...f,
    ...(f.thresholds && {
      thresholds: f.thresholds.map((t) => ({
        ...t,
        conditions: t.conditions.map((n) =>
          t.metric === 'http_req_failed' ? `rate<0.${n}` : `p(${n})<${n * 10}`,
        ),
      })),
    }),
  })) as fc.Arbitrary<Partial<RunConfigInput>>

test('what `checkin-load config` prints is a config file that gives back the same config (JSON and YAML)', () => {
  let n = 0
  fc.assert(
    fc.property(flags, fc.boolean(), (given, yaml) => {
      const config = resolveRunConfig({ flags: given })
      const shown = shownConfig(config)
      const path = join(dir, `shown-${n++}.${yaml ? 'yaml' : 'json'}`)
      writeFileSync(path, yaml ? toYaml(JSON.parse(JSON.stringify(shown))) : JSON.stringify(shown, null, 2))
      assert.deepEqual(resolveRunConfig({ configFile: path }), config)
    }),
    fuzzParameters(200, 17),
  )
})

test('the exact shapes the issue met: RunConfig stages and thresholds lists are taken back', () => {
  const path = join(dir, 'issue.json')
  writeFileSync(
    path,
    JSON.stringify({
      stages: [{ durationMs: 3000, target: 0.2 }],
      thresholds: [
        { metric: 'http_req_failed', conditions: ['rate<0.01'], abortOnFail: false, delayAbortEvalMs: 10000 },
      ],
    }),
  )
  const config = resolveRunConfig({ configFile: path })
  assert.deepEqual(config.stages, [{ durationMs: 3000, target: 0.2 }])
  assert.equal(config.thresholds[0]?.metric, 'http_req_failed')
})

test('a redacted header read back is refused with what to write instead', () => {
  const config = resolveRunConfig({ flags: { headers: { authorization: 'Bearer secret' } } })
  const path = join(dir, 'redacted.json')
  writeFileSync(path, JSON.stringify(shownConfig(config)))
  assert.throws(() => resolveRunConfig({ configFile: path }), {
    code: 'CL_CONFIG',
    message: /headers\.authorization is "<redacted>".*headersFromEnv/,
  })
})
