import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  BACKEND_ERRORS,
  downstreamFailure,
  isDob,
  isLastName,
  isUuid,
  permissionsBody,
  routingError,
} from './contract.js'
import { hasSessionCookie } from './standin.js'

for (const [value, ok] of [
  ['d602d9eb-9a31-484f-9637-13ab0b507e0d', true],
  ['D602D9EB-9A31-484F-9637-13AB0B507E0D', false], // vets-api takes lowercase hex only
  ['d602d9eb9a31484f963713ab0b507e0d', false],
  ['d602d9eb-9a31-484f-9637-13ab0b507e0', false],
  ['d602d9eb-9a31-484f-9637-13ab0b507e0d ', false],
  [42, false],
] as const) {
  test(`uuid ${JSON.stringify(value)} is ${ok ? 'valid' : 'invalid'}`, () => assert.equal(isUuid(value), ok))
}

for (const [value, ok] of [
  ['1960-03-12', true],
  ['1960-12-31', true],
  ['1960-13-01', false],
  ['1960-02-32', false],
  ['1960-3-12', false],
  ['03/12/1960', false],
  [null, false],
] as const) {
  test(`dob ${JSON.stringify(value)} is ${ok ? 'valid' : 'invalid'}`, () => assert.equal(isDob(value), ok))
}

for (const [value, ok] of [
  ['Johnson', true],
  ["O'Neil", true],
  ['x'.repeat(600), true],
  ['x'.repeat(601), false],
  ['', false],
  ['two\nlines', false],
] as const) {
  test(`last name of ${value.length} chars ${JSON.stringify(value.slice(0, 12))} is ${ok ? 'valid' : 'invalid'}`, () =>
    assert.equal(isLastName(value), ok))
}

for (const [header, ok] of [
  [undefined, false],
  ['', false],
  ['api_session=abc', true],
  ['a=1; api_session=abc', true],
  ['a=1;api_session=abc; b=2', true],
  ['api_session=', false],
  ['api_session=; b=2', false],
  ['xapi_session=abc', false],
  ['api_session_x=abc', false],
  ['cie_session=abc', false],
  ['xapi_session=1; api_session=2', true],
] as const) {
  test(`cookie header ${JSON.stringify(header)} ${ok ? 'has' : 'has no'} session`, () =>
    assert.equal(hasSessionCookie(header), ok))
}

for (const [call, status, code, http] of [
  ['chip_check_in', 404, 'CHIP-API_404', 404],
  ['chip_check_in', 500, 'CHIP-API_500', 500],
  ['chip_confirm_demographics', 504, 'VA900', 400],
  ['chip_token', 500, 'CHIP-API_500', 500],
  ['lorota_token', 404, 'VA900', 400],
  ['lorota_data', 404, 'VA900', 400],
  ['lorota_data', 500, 'VA900', 400],
  ['lorota_data', 504, 'VA900', 400],
] as const) {
  test(`a ${status} of ${call} answers ${http} ${code}`, () => {
    const answer = downstreamFailure(call, status)
    assert.equal(answer.status, http)
    const body = JSON.parse(answer.body)
    assert.equal(body.errors[0].code, code)
    assert.equal(body.errors[0].status, String(http))
  })
}

test('error envelopes carry title, detail, code and status as a string', () => {
  assert.deepEqual(JSON.parse(BACKEND_ERRORS.cie410.body), {
    errors: [
      { title: 'Data Gone', detail: 'Retry Attempt Exceeded', code: 'CIE-VETS-API_410', status: '410' },
    ],
  })
  assert.deepEqual(JSON.parse(routingError('/x"y').body).errors[0], {
    title: 'Not found',
    detail: 'There are no routes matching your request: /x"y',
    code: '411',
    status: '404',
  })
})

test('permissions bodies escape what is not a uuid', () => {
  assert.deepEqual(JSON.parse(permissionsBody(false, 'a"b')), {
    permissions: 'read.none',
    status: 'success',
    uuid: 'a"b',
  })
  assert.deepEqual(JSON.parse(permissionsBody(false, undefined)).uuid, null)
})
