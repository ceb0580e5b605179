import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { resolveRunConfig } from '../config/load.js'
import { ConfigError } from '../errors.js'
import { engineDefaultsFromEnv } from './engine-env.js'

test('the environment gives the transport and clock defaults; absent or empty gives none', () => {
  assert.deepEqual(engineDefaultsFromEnv({}), {})
  assert.deepEqual(engineDefaultsFromEnv({ CHECKIN_LOAD_TRANSPORT: '', CHECKIN_LOAD_CLOCK: '' }), {})
  assert.deepEqual(
    engineDefaultsFromEnv({ CHECKIN_LOAD_TRANSPORT: 'undici', CHECKIN_LOAD_CLOCK: 'precise' }),
    {
      transport: 'undici',
      clock: 'precise',
    },
  )
})

test('a value outside the list is a config error naming the variable', () => {
  assert.throws(
    () => engineDefaultsFromEnv({ CHECKIN_LOAD_TRANSPORT: 'http2' }),
    (error: unknown) =>
      error instanceof ConfigError &&
      /CHECKIN_LOAD_TRANSPORT=http2 is not one of raw, undici/.test(error.message),
  )
  assert.throws(() => engineDefaultsFromEnv({ CHECKIN_LOAD_CLOCK: 'fast' }), ConfigError)
})

test('precedence: schema default <- environment <- config file <- flags', () => {
  assert.equal(resolveRunConfig({}).transport, 'raw')
  assert.equal(resolveRunConfig({}).clock, 'timer')
  const defaults = engineDefaultsFromEnv({ CHECKIN_LOAD_TRANSPORT: 'undici', CHECKIN_LOAD_CLOCK: 'precise' })
  assert.equal(resolveRunConfig({ defaults }).transport, 'undici')
  assert.equal(resolveRunConfig({ defaults }).clock, 'precise')
  const flagged = resolveRunConfig({ defaults, flags: { transport: 'raw', clock: 'timer' } })
  assert.deepEqual([flagged.transport, flagged.clock], ['raw', 'timer'])
  const dir = mkdtempSync(join(tmpdir(), 'checkin-load-env-'))
  try {
    const configFile = join(dir, 'run.yaml')
    writeFileSync(configFile, 'transport: raw\n')
    const filed = resolveRunConfig({ defaults, configFile })
    assert.deepEqual([filed.transport, filed.clock], ['raw', 'precise'])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
