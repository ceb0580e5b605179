import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../errors.js'
import type { StepSpec } from '../profile/types.js'
import {
  browserHeaders,
  corsUnsafeHeaderNames,
  defaultOrigin,
  PREFLIGHT_MAX_AGE_MS,
  parseOrigin,
  withPreflights,
} from './browser.js'

for (const [target, origin] of [
  ['https://staging-api.va.gov', 'https://staging.va.gov'],
  ['https://staging-api.va.gov/prefix', 'https://staging.va.gov'],
  ['https://api.va.gov', 'https://www.va.gov'],
  ['https://dev-api.va.gov', 'https://dev.va.gov'],
  ['http://127.0.0.1:3000', 'http://localhost:3001'],
  ['http://[::1]:3000', 'http://localhost:3001'],
  ['http://localhost:8080', 'http://localhost:3001'],
  ['https://vets-api.example.org:8443/base', 'https://vets-api.example.org:8443'],
  [undefined, 'http://localhost:3001'],
] as const) {
  test(`default origin for ${target ?? 'the embedded stand-in'}: ${origin}`, () =>
    assert.equal(defaultOrigin(target), origin))
}

test('--origin: a serialized origin, or a clear error', () => {
  assert.equal(parseOrigin('https://www.va.gov/'), 'https://www.va.gov')
  assert.equal(parseOrigin('HTTP://LOCALHOST:3001'), 'http://localhost:3001')
  assert.throws(() => parseOrigin('www.va.gov'), ConfigError)
  assert.throws(() => parseOrigin('https://www.va.gov/health-care'), /no path/)
  assert.throws(() => parseOrigin('ftp://www.va.gov'), /http or https/)
})

test("Access-Control-Request-Headers: the web app's non-simple headers, lower-case and sorted", () => {
  const headers = { ...browserHeaders('dayOf', 'https://www.va.gov'), 'Content-Type': 'application/json' }
  assert.deepEqual(corsUnsafeHeaderNames(headers), [
    'content-type',
    'source-app-name',
    'x-csrf-token',
    'x-key-inflection',
  ])
  assert.deepEqual(corsUnsafeHeaderNames(browserHeaders('preCheckIn', 'https://www.va.gov')), [
    'source-app-name',
    'x-csrf-token',
    'x-key-inflection',
  ])
  // safelisted: accept, a form content type; set by the browser: origin, cookie, user-agent
  assert.deepEqual(
    corsUnsafeHeaderNames({ Accept: '*/*', 'content-type': 'text/plain; charset=utf-8', cookie: 'a=b' }),
    [],
  )
  assert.deepEqual(corsUnsafeHeaderNames({}, ['Authorization', 'user-agent']), ['authorization'])
})

const ORIGIN = 'https://staging.va.gov'
const step = (method: StepSpec['method'], path: string, extra: Partial<StepSpec> = {}): StepSpec => ({
  endpoint: `${method.toLowerCase()}_x`,
  method,
  path,
  headers: {
    ...browserHeaders('dayOf', ORIGIN),
    ...(method !== 'GET' && { 'content-type': 'application/json' }),
  },
  ...extra,
})

test('a preflight before each distinct URL of a visit, asking for the method and headers', () => {
  const out = withPreflights(
    [
      step('GET', '/check_in/v2/sessions/{{uuid}}'),
      step('POST', '/check_in/v2/sessions/'),
      step('GET', '/check_in/v2/patient_check_ins/{{uuid}}'),
      step('POST', '/check_in/v2/patient_check_ins/'),
    ],
    ORIGIN,
  )
  assert.deepEqual(
    out.map((s) => `${s.method} ${s.path}`),
    [
      'OPTIONS /check_in/v2/sessions/{{uuid}}',
      'GET /check_in/v2/sessions/{{uuid}}',
      'OPTIONS /check_in/v2/sessions/',
      'POST /check_in/v2/sessions/',
      'OPTIONS /check_in/v2/patient_check_ins/{{uuid}}',
      'GET /check_in/v2/patient_check_ins/{{uuid}}',
      'OPTIONS /check_in/v2/patient_check_ins/',
      'POST /check_in/v2/patient_check_ins/',
    ],
  )
  const post = out[2]!
  assert.equal(post.endpoint, 'preflight')
  assert.equal(post.kind, 'preflight')
  assert.equal(post.corsOrigin, ORIGIN)
  assert.deepEqual(post.headers, {
    accept: '*/*',
    'access-control-request-method': 'POST',
    'access-control-request-headers': 'content-type,source-app-name,x-csrf-token,x-key-inflection',
    origin: ORIGIN,
  })
  assert.equal(post.body, undefined)
  assert.equal(
    out[0]!.headers!['access-control-request-headers'],
    'source-app-name,x-csrf-token,x-key-inflection',
  )
})

test("the visit's cache: a URL asked again with covered headers is not preflighted again", () => {
  const out = withPreflights(
    [
      step('POST', '/a'),
      step('GET', '/a'), // simple method, headers a subset of the POST's
      step('POST', '/a'),
      step('PATCH', '/a'), // a method not asked before
      step('GET', '/b', { headers: { accept: '*/*' } }), // nothing unsafe: no preflight at all
    ],
    ORIGIN,
  )
  assert.deepEqual(
    out.map((s) => s.method),
    ['OPTIONS', 'POST', 'GET', 'POST', 'OPTIONS', 'PATCH', 'GET'],
  )
  // a header the cached answer did not cover
  const more = withPreflights(
    [step('GET', '/a'), step('POST', '/a'), step('POST', '/a', { headers: { 'x-extra': '1' } })],
    ORIGIN,
  )
  assert.deepEqual(
    more.map((s) => s.method),
    ['OPTIONS', 'GET', 'OPTIONS', 'POST', 'OPTIONS', 'POST'],
  )
})

test('a think time goes before the preflight; a cached answer expires after the max-age', () => {
  const out = withPreflights(
    [
      step('GET', '/a'),
      step('POST', '/b', { thinkTimeMs: 5000 }),
      step('GET', '/a', { thinkTimeMs: PREFLIGHT_MAX_AGE_MS }),
    ],
    ORIGIN,
  )
  assert.deepEqual(
    out.map((s) => `${s.method} ${s.path} ${s.thinkTimeMs ?? 0}`),
    [
      'OPTIONS /a 0',
      'GET /a 0',
      'OPTIONS /b 5000',
      'POST /b 0',
      `OPTIONS /a ${PREFLIGHT_MAX_AGE_MS}`,
      'GET /a 0',
    ],
  )
})

test('--header names go into the preflight too', () => {
  const [preflight] = withPreflights([step('GET', '/a')], ORIGIN, ['Authorization'])
  assert.equal(
    preflight!.headers!['access-control-request-headers'],
    'authorization,source-app-name,x-csrf-token,x-key-inflection',
  )
})
