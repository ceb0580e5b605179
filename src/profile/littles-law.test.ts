import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PRESETS } from '../model/downstream.js'
import { checkinProfile, DEFAULT_ESTIMATES } from './builtin.js'
import { predictWorkers } from './littles-law.js'

/** checkin-api.md §9: the arithmetic of the June 2022 result, 240 Puma threads. */
const round1 = (x: number) => Number(x.toFixed(1))
const round2 = (x: number) => Number(x.toFixed(2))

test('staging-2022, visits with sessions: 391.3 busy at 1x, knee 0.61x, 81.5% busy at 0.5x', () => {
  const p = predictWorkers(checkinProfile(), PRESETS['staging-2022'], 240)
  // day-of 9.8/s x (0 + 0.2 + 0.2 + 5.0 s); pre-check-in 40.283/s x (4.0 + 2.2 + 0.2 + 2.0 s)
  assert.equal(round1(p.busyAt1x), 391.3)
  assert.equal(round2(p.saturationShare), 0.61)
  assert.equal(round1(((p.busyAt1x * 0.5) / 240) * 100), 81.5)
  assert.equal(p.perEndpoint, false)
  // the June 2022 code: GET patient_check_ins reads LoROTA only (0.2 s)
  assert.equal(round2(p.busyByEndpoint.get_patient_check_in!), round2(9.8 * 0.2))
})

test('staging-2022, per endpoint (random UUIDs, no session): 251.7 busy at 1x, knee 0.95x, 52% at 0.5x', () => {
  const p = predictWorkers(checkinProfile(), PRESETS['staging-2022'], 240, { perEndpoint: true })
  // only the sessions endpoints wait: 40.28 x 4.0 + 40.28 x 2.2 + 9.8 x 0.2
  assert.equal(round1(p.busyAt1x), 251.7)
  assert.equal(round2(p.saturationShare), 0.95)
  assert.equal(Math.round(((p.busyAt1x * 0.5) / 240) * 100), 52)
  assert.equal(p.perEndpoint, true)
  for (const endpoint of [
    'get_patient_check_in',
    'post_patient_check_in',
    'get_pre_check_in',
    'post_pre_check_in',
  ]) {
    assert.equal(p.busyByEndpoint[endpoint], 0, `${endpoint}: unauthorized, no downstream call`)
  }
})

test("the current preset adds today's set-e-check-in-started (2 s) to the day-of read", () => {
  const current = predictWorkers(checkinProfile(), PRESETS.current, 240)
  assert.equal(round1(current.busyAt1x), round1(391.3 + 9.8 * 2))
  assert.equal(round2(current.busyByEndpoint.get_patient_check_in!), round2(9.8 * 2.2))
  // per endpoint, the eras agree: the day-of read is unauthorized
  const perEndpoint = predictWorkers(checkinProfile(), PRESETS.current, 240, { perEndpoint: true })
  assert.equal(round1(perEndpoint.busyAt1x), 251.7)
})

test('with the demographics step (1 s of CHIP), and with twice the pool', () => {
  const withDemographics = predictWorkers(
    checkinProfile({ ...DEFAULT_ESTIMATES, withDemographics: true }),
    PRESETS['staging-2022'],
    240,
  )
  assert.equal(round1(withDemographics.busyAt1x), 401.1)
  assert.equal(
    round2(predictWorkers(checkinProfile(), PRESETS['staging-2022'], 480).saturationShare),
    round2(480 / 391.3),
  )
})
