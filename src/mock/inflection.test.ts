import assert from 'node:assert/strict'
import { test } from 'node:test'
import { camelize, camelizeJsonKeys, underscore, underscoreKeys } from './inflection.js'

test("underscore as ActiveSupport's: the web app's keys become the controllers' params", () => {
  for (const [camel, snake] of [
    ['lastName', 'last_name'],
    ['checkInType', 'check_in_type'],
    ['appointmentIen', 'appointment_ien'],
    ['setECheckinStartedCalled', 'set_e_checkin_started_called'],
    ['demographicsUpToDate', 'demographics_up_to_date'],
    ['patientCheckIns', 'patient_check_ins'],
    ['appointmentIEN', 'appointment_ien'],
    ['last_name', 'last_name'],
    ['uuid', 'uuid'],
    ['last4', 'last4'],
  ]) {
    assert.equal(underscore(camel!), snake, camel)
  }
})

test("camelize as OliveBranch's (underscore, then camelize(:lower))", () => {
  for (const [key, camel] of [
    ['last_name', 'lastName'],
    ['appointmentIEN', 'appointmentIen'],
    ['setECheckinStartedCalled', 'setECheckinStartedCalled'],
    ['nextOfKin1', 'nextOfKin1'],
    ['zip4', 'zip4'],
    ['permissions', 'permissions'],
  ]) {
    assert.equal(camelize(key!), camel, key)
  }
})

test('underscoreKeys converts deeply, arrays included, and never touches the prototype', () => {
  const out = underscoreKeys({
    session: { lastName: 'A', list: [{ checkInType: 'x' }] },
    __proto__x: 1,
  }) as Record<string, unknown>
  assert.deepEqual(out, { session: { last_name: 'A', list: [{ check_in_type: 'x' }] }, __proto__x: 1 })
  const tricky = JSON.parse('{"__proto__":{"polluted":true}}') as unknown
  const converted = underscoreKeys(tricky) as Record<string, unknown>
  assert.equal(({} as Record<string, unknown>).polluted, undefined)
  assert.equal(Object.getPrototypeOf(converted), Object.prototype)
})

test('camelizeJsonKeys changes keys only, never string values that look like keys', () => {
  const body = JSON.stringify({
    appointmentIEN: '460',
    message: '"appointment_ien": no',
    nested: [{ zip_4: 1 }],
  })
  assert.deepEqual(JSON.parse(camelizeJsonKeys(body)), {
    appointmentIen: '460',
    message: '"appointment_ien": no',
    nested: [{ zip4: 1 }],
  })
})
