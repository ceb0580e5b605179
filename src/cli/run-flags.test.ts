import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Command } from 'commander'
import { runConfigSchema } from '../config/schema.js'
import { addRunFlags, configKeyOf, runConfigSources } from './run-flags.js'

test('every run flag lands on a RunConfig key (or the duration/config file)', () => {
  const command = addRunFlags(new Command('x'))
  const keys = new Set([...Object.keys(runConfigSchema.shape), 'durationMs'])
  for (const option of command.options) {
    const flag = option.attributeName()
    if (flag === 'config') continue
    assert.ok(
      keys.has(configKeyOf(flag)),
      `--${option.long?.slice(2)} maps to "${configKeyOf(flag)}", not a RunConfig key`,
    )
  }
})

test('flags are renamed and converted into config keys; absent flags stay absent', () => {
  const command = addRunFlags(new Command('x')).action(() => {})
  command.parse(
    [
      '--duration',
      '90s',
      '--timeout',
      '2s',
      '--tag',
      'env:staging',
      '--tag',
      'team:cie',
      '--header',
      'X-Key-Inflection: camel',
      '--threshold',
      'http_req_failed: rate<0.01',
      '--no-limits',
      '--no-default-slos',
      '--ca',
      'ca.pem',
      '--config',
      'run.yaml',
    ],
    { from: 'user' },
  )
  assert.deepEqual(runConfigSources(command), {
    configFile: 'run.yaml',
    flags: {
      durationMs: 90_000,
      timeoutMs: 2000,
      tags: ['env:staging', 'team:cie'],
      headers: { 'x-key-inflection': 'camel' },
      thresholds: [{ metric: 'http_req_failed', conditions: ['rate<0.01'], abortOnFail: false }],
      noLimits: true,
      defaultSlos: false,
      caFile: 'ca.pem',
    },
  })
})
