import assert from 'node:assert/strict'
import { test } from 'node:test'
import { checkinProfile, DEFAULT_ESTIMATES } from './builtin.js'
import { deriveRates, endpointIds } from './derive.js'
import { resolveProfile } from './load.js'
import { applyTraffic } from './traffic.js'

const rpmTable = (profile: ReturnType<typeof checkinProfile>) =>
  Object.fromEntries(deriveRates(profile).endpoints.map((e) => [e.endpoint, e.rpm]))

const TEAM_TABLE = {
  get_session: 3005,
  post_session: 3005,
  get_patient_check_in: 588,
  post_patient_check_in: 588,
  get_pre_check_in: 2417,
  post_pre_check_in: 2417,
}

test('browser traffic: the same table; preflights counted apart, one per distinct URL of a visit', () => {
  const profile = resolveProfile(
    'vets-api-checkin',
    {},
    { traffic: 'browser', target: 'https://staging-api.va.gov' },
  )
  assert.deepEqual(rpmTable(profile), TEAM_TABLE)
  const derived = deriveRates(profile)
  assert.equal(derived.totalRpm, 12_020)
  assert.equal(derived.preflightRpm, 12_020) // every request of a visit has its own URL
  assert.equal(derived.receivedRpm, 24_040)
  assert.deepEqual(endpointIds(profile), [...Object.keys(TEAM_TABLE), 'preflight'])
  assert.deepEqual(profile.traffic, { kind: 'browser', origin: 'https://staging.va.gov', perEndpoint: false })
})

test('browser traffic: every request carries the web app headers and the CORS check', () => {
  const profile = resolveProfile(
    'vets-api-checkin',
    { withDemographics: true },
    { traffic: 'browser', origin: 'https://www.va.gov' },
  )
  const [dayOf, preCheckIn] = profile.flows
  assert.equal(dayOf!.steps.length, 10)
  for (const flow of profile.flows) {
    for (const step of flow.steps) {
      assert.equal(step.headers?.origin, 'https://www.va.gov')
      assert.equal(step.corsOrigin, 'https://www.va.gov')
      if (step.kind === 'preflight') continue
      assert.equal(step.headers?.['x-key-inflection'], 'camel')
      assert.equal(step.headers?.['x-csrf-token'], 'null')
      assert.equal(step.headers?.['source-app-name'], flow === dayOf ? 'check-in' : 'pre-check-in')
      assert.equal(step.headers?.['content-type'], step.body === undefined ? undefined : 'application/json')
    }
  }
  assert.deepEqual(
    preCheckIn!.steps.map((s) => `${s.method} ${s.path}`),
    [
      'OPTIONS /check_in/v2/sessions/{{uuid}}?checkInType=preCheckIn',
      'GET /check_in/v2/sessions/{{uuid}}?checkInType=preCheckIn',
      'OPTIONS /check_in/v2/sessions/',
      'POST /check_in/v2/sessions/',
      'OPTIONS /check_in/v2/pre_check_ins/{{uuid}}?checkInType=preCheckIn',
      'GET /check_in/v2/pre_check_ins/{{uuid}}?checkInType=preCheckIn',
      'OPTIONS /check_in/v2/pre_check_ins/',
      'POST /check_in/v2/pre_check_ins/',
    ],
  )
})

test('api traffic: the steps as written, no preflight, no browser header', () => {
  const profile = resolveProfile('vets-api-checkin', {}, { traffic: 'api' })
  assert.deepEqual(profile.flows, checkinProfile(DEFAULT_ESTIMATES, 'api').flows)
  assert.equal(deriveRates(profile).preflightRpm, 0)
  assert.deepEqual(profile.traffic, { kind: 'api', perEndpoint: false })
})

test('--per-endpoint: one-request flows at their flow rates, the same table and requests', () => {
  const base = checkinProfile()
  const profile = applyTraffic(base, { traffic: 'api', perEndpoint: true })
  assert.deepEqual(rpmTable(profile), TEAM_TABLE)
  assert.deepEqual(
    profile.flows.map((f) => [f.name, f.arrivalsPerMinute, f.checkInType, f.steps.length]),
    [
      ['check_in.get_session', 588, 'dayOf', 1],
      ['check_in.post_session', 588, 'dayOf', 1],
      ['check_in.get_patient_check_in', 588, 'dayOf', 1],
      ['check_in.post_patient_check_in', 588, 'dayOf', 1],
      ['pre_check_in.get_session', 2417, 'preCheckIn', 1],
      ['pre_check_in.post_session', 2417, 'preCheckIn', 1],
      ['pre_check_in.get_pre_check_in', 2417, 'preCheckIn', 1],
      ['pre_check_in.post_pre_check_in', 2417, 'preCheckIn', 1],
    ],
  )
  assert.deepEqual(
    profile.flows.map((f) => f.steps[0]),
    base.flows.flatMap((f) => f.steps),
  )
  assert.deepEqual(profile.traffic, { kind: 'api', perEndpoint: true })
})

test('--per-endpoint with browser traffic: each request a new browser, so each has its preflight', () => {
  const profile = resolveProfile('vets-api-checkin', {}, { traffic: 'browser', perEndpoint: true })
  assert.ok(profile.flows.every((f) => f.steps.length === 2 && f.steps[0]!.kind === 'preflight'))
  const derived = deriveRates(profile)
  assert.equal(derived.totalRpm, 12_020)
  assert.equal(derived.preflightRpm, 12_020)
})

test('a bad --origin is a clear configuration error', () => {
  assert.throws(
    () => resolveProfile('vets-api-checkin', {}, { traffic: 'browser', origin: 'staging.va.gov' }),
    /invalid origin "staging.va.gov"/,
  )
})
