import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BodyGenerator } from './bodies.js'

const UUID = 'd602d9eb-9a31-484f-9637-13ab0b507e0d'
const OTHER = '5bcd636c-d4d3-4349-9058-03b2f6b38ced'
const today = '2026-11-26'

test('a uuid gets the same body for the same seed, another one for another seed', () => {
  const a = new BodyGenerator({ seed: 1, today })
  const b = new BodyGenerator({ seed: 1, today })
  const c = new BodyGenerator({ seed: 2, today })
  assert.equal(a.checkInData(UUID, false), b.checkInData(UUID, false))
  assert.notEqual(a.checkInData(UUID, false), c.checkInData(UUID, false))
  assert.notEqual(a.checkInData(UUID, false), a.checkInData(OTHER, false))
  assert.equal(a.demographicsConfirmed(UUID), b.demographicsConfirmed(UUID))
})

test('the day-of body has the serializer shape: no patientDFN, icn or edipi', () => {
  const body = JSON.parse(new BodyGenerator({ seed: 1, today }).checkInData(UUID, true))
  assert.equal(body.id, UUID)
  assert.equal(body.payload.address, null)
  assert.equal(body.payload.setECheckinStartedCalled, true)
  assert.deepEqual(Object.keys(body.payload.demographics).sort(), [
    'emailAddress',
    'emergencyContact',
    'homeAddress',
    'homePhone',
    'mailingAddress',
    'mobilePhone',
    'nextOfKin1',
    'workPhone',
  ])
  assert.ok(body.payload.appointments.length >= 1)
  for (const appointment of body.payload.appointments) {
    assert.equal(typeof appointment.appointmentIEN, 'string')
    assert.equal(typeof appointment.stationNo, 'number')
    assert.ok(appointment.startTime.startsWith(today))
    for (const hidden of ['patientDFN', 'icn', 'edipi']) assert.equal(appointment[hidden], undefined)
  }
  assert.equal(typeof body.payload.patientDemographicsStatus.demographicsNeedsUpdate, 'boolean')
})

test('Oracle Health bodies: string stationNo, a top-level address, empty demographics', () => {
  const body = JSON.parse(new BodyGenerator({ seed: 1, today }).checkInData(UUID, false, true))
  assert.equal(typeof body.payload.address, 'string')
  assert.deepEqual(body.payload.demographics, {})
  assert.deepEqual(body.payload.patientDemographicsStatus, {})
  for (const appointment of body.payload.appointments) {
    assert.equal(typeof appointment.stationNo, 'string')
    assert.equal(appointment.status, 'Confirmed')
    assert.equal(appointment.timezone, 'America/New_York')
  }
})

test('the demographics answer has the CHIP shape', () => {
  const body = JSON.parse(new BodyGenerator({ seed: 1, today }).demographicsConfirmed(UUID))
  assert.equal(body.status, 200)
  assert.equal(body.data.data.attributes.patientDfn, body.data.data.id)
  assert.equal(body.data.data.attributes.insuranceVerificationNeeded, null)
})
