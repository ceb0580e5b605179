import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ERROR_KINDS } from '../model/error-kinds.js'
import { classifyError, classifyStatus, ERROR_KIND_INDEX, KIND_BY_CODE } from './classify.js'

const withCode = (code: string) => Object.assign(new Error(code), { code })

for (const [code, kind] of [
  ['ECONNREFUSED', 'connect_refused'],
  ['ENOTFOUND', 'dns'],
  ['EAI_AGAIN', 'dns'],
  ['ETIMEDOUT', 'timeout'],
  ['UND_ERR_CONNECT_TIMEOUT', 'timeout'],
  ['UND_ERR_HEADERS_TIMEOUT', 'timeout'],
  ['UND_ERR_BODY_TIMEOUT', 'timeout'],
  ['ECONNRESET', 'reset'],
  ['EPIPE', 'reset'],
  ['UND_ERR_SOCKET', 'reset'],
  ['UND_ERR_CLOSED', 'reset'],
  ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls'],
  ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'tls'],
  ['SELF_SIGNED_CERT_IN_CHAIN', 'tls'],
  ['CERT_HAS_EXPIRED', 'tls'],
  ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls'],
  ['ERR_SSL_WRONG_VERSION_NUMBER', 'tls'],
  ['ERR_TLS_SOMETHING_NEW', 'tls'],
  ['HPE_INVALID_CONSTANT', 'protocol'],
  ['HPE_UNEXPECTED_CONTENT_LENGTH', 'protocol'],
  ['UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'protocol'],
  ['UND_ERR_INFO', 'protocol'],
  ['SOMETHING_ELSE', 'other'],
] as const) {
  test(`error code ${code} -> ${kind}`, () => assert.equal(classifyError(withCode(code)), kind))
}

test('an error without a code is classified by its name', () => {
  const parser = Object.assign(new Error('Response does not match the HTTP/1.1 protocol'), {
    name: 'HTTPParserError',
  })
  assert.equal(classifyError(parser), 'protocol')
  assert.equal(classifyError(Object.assign(new Error('x'), { name: 'HeadersTimeoutError' })), 'timeout')
})

test('the code may sit on the cause; no code at all is other', () => {
  assert.equal(classifyError(Object.assign(new Error('x'), { cause: withCode('ECONNRESET') })), 'reset')
  assert.equal(classifyError(new Error('plain')), 'other')
  assert.equal(classifyError('not an error'), 'other')
  assert.equal(classifyError(null), 'other')
})

for (const [status, kind] of [
  [404, 'http_4xx'],
  [401, 'http_4xx'],
  [410, 'http_4xx'],
  [500, 'http_5xx'],
  [503, 'http_5xx'],
  [302, 'other'],
  [204, 'other'],
] as const) {
  test(`unexpected status ${status} -> ${kind}`, () => assert.equal(classifyStatus(status), kind))
}

test('every kind in the table is a known ErrorKind; indexes match ERROR_KINDS', () => {
  for (const kind of Object.values(KIND_BY_CODE)) assert.ok(ERROR_KINDS.includes(kind))
  for (const [i, kind] of ERROR_KINDS.entries()) assert.equal(ERROR_KIND_INDEX[kind], i)
})
