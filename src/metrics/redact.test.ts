import assert from 'node:assert/strict'
import { test } from 'node:test'
import { REDACTED, redactConfig } from './redact.js'

test('secret-looking header values and every header from the environment are redacted', () => {
  const config = {
    scale: 1,
    headers: {
      authorization: 'Bearer abc',
      cookie: 'a=b',
      'x-api-key': 'k',
      'x-auth-token': 't',
      'x-key-inflection': 'camel',
      'user-agent': 'me',
    },
    headersFromEnv: { 'x-custom': 'MY_VAR' },
  }
  const out = redactConfig(config)
  assert.deepEqual(out.headers, {
    authorization: REDACTED,
    cookie: REDACTED,
    'x-api-key': REDACTED,
    'x-auth-token': REDACTED,
    'x-key-inflection': 'camel',
    'user-agent': 'me',
  })
  assert.deepEqual(out.headersFromEnv, { 'x-custom': REDACTED })
  assert.equal(out.scale, 1)
  assert.equal(config.headers.authorization, 'Bearer abc', 'the input is not changed')
  assert.ok(!JSON.stringify(out).includes('Bearer abc'))
})
