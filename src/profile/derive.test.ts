import assert from 'node:assert/strict'
import { test } from 'node:test'
import { checkinProfile, DEFAULT_ESTIMATES, visitsPerMinute } from './builtin.js'
import { deriveRates } from './derive.js'

const rpmOf = (scale: number, estimates = DEFAULT_ESTIMATES) =>
  Object.fromEntries(deriveRates(checkinProfile(estimates), scale).endpoints.map((e) => [e.endpoint, e.rpm]))

test('the built-in profile gives exactly the team table', () => {
  assert.deepEqual(rpmOf(1), {
    get_session: 3005,
    post_session: 3005,
    get_patient_check_in: 588,
    post_patient_check_in: 588,
    get_pre_check_in: 2417,
    post_pre_check_in: 2417,
  })
  const derived = deriveRates(checkinProfile(), 1)
  assert.equal(derived.totalRpm, 12_020)
  assert.equal(Number(derived.totalRps.toFixed(3)), 200.333)
})

test('--scale 2 doubles every row', () => {
  const rows = rpmOf(2)
  assert.equal(rows.get_session, 6010)
  assert.equal(rows.post_patient_check_in, 1176)
  assert.equal(rows.get_pre_check_in, 4834)
  assert.equal(deriveRates(checkinProfile(), 2).totalRpm, 24_040)
})

test('70,560 check-ins an hour give 1176 rpm on the patient_check_in rows', () => {
  const rows = rpmOf(1, { ...DEFAULT_ESTIMATES, checkInsPerHour: 70_560 })
  assert.equal(rows.get_patient_check_in, 1176)
  assert.equal(rows.post_patient_check_in, 1176)
  assert.equal(rows.get_session, 1176 + 2417)
})

for (const [perHour, perMinute] of [
  [145_000, 2417], // 2416.67 rounds up, as the team's table
  [35_280, 588],
  [35_260, 588], // 587.67
  [90, 2], // 1.5 rounds half up
  [30, 0.5], // below one a minute: kept exact
  [0, 0],
] as const) {
  test(`visitsPerMinute(${perHour}) = ${perMinute}`, () => assert.equal(visitsPerMinute(perHour), perMinute))
}

test('--with-demographics adds the PATCH step to the day-of flow only', () => {
  const rows = rpmOf(1, { ...DEFAULT_ESTIMATES, withDemographics: true })
  assert.equal(rows.patch_demographics, 588)
  assert.equal(deriveRates(checkinProfile({ ...DEFAULT_ESTIMATES, withDemographics: true })).totalRpm, 12_608)
})

test('a flow with no arrivals is left out', () => {
  const profile = checkinProfile({ ...DEFAULT_ESTIMATES, checkInsPerHour: 0 })
  assert.deepEqual(
    profile.flows.map((f) => f.name),
    ['pre_check_in'],
  )
  assert.equal(rpmOf(1, { ...DEFAULT_ESTIMATES, checkInsPerHour: 0 }).get_patient_check_in, undefined)
})
