import assert from 'node:assert/strict'
import { test } from 'node:test'
import { checkTarget, isProductionHost } from './guard.js'

for (const [host, production] of [
  ['api.va.gov', true],
  ['API.VA.GOV', true],
  ['api.va.gov.', true],
  ['www.va.gov', true],
  ['va.gov', true],
  ['prod-api.va.gov', true],
  ['grafana.vfs.va.gov', true],
  ['staging-api.va.gov', false],
  ['Staging-API.va.gov.', false],
  ['dev-api.va.gov', false],
  ['sandbox-api.va.gov', false],
  ['pr123.review.vetsgov-internal.va.gov', false],
  ['staging.va.gov', false],
  ['api.va.gov.example.com', false],
  ['notva.gov', false],
  ['127.0.0.1', false],
  ['[::1]', false],
  ['localhost', false],
] as const) {
  test(`isProductionHost(${host}) = ${production}`, () => assert.equal(isProductionHost(host), production))
}

test('checkTarget refuses production unless allowed, with ports too', () => {
  assert.throws(() => checkTarget('https://api.va.gov:443/check_in', false), { code: 'CL_PRODUCTION_TARGET' })
  assert.throws(() => checkTarget('https://API.va.gov.:8443', false), /--allow-production/)
  assert.equal(checkTarget('https://api.va.gov', true).hostname, 'api.va.gov')
  assert.equal(checkTarget('http://127.0.0.1:3000', false).port, '3000')
})

test('checkTarget refuses what is not an http(s) URL', () => {
  assert.throws(() => checkTarget('ftp://127.0.0.1', false), /unsupported URL scheme "ftp:"/)
  assert.throws(() => checkTarget('127.0.0.1:3000', false), /unsupported URL scheme|give a full URL/)
  assert.throws(() => checkTarget('not a url', false), /give a full URL/)
})
