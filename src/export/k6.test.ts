import assert from 'node:assert/strict'
import { test } from 'node:test'
import { commentSafe } from './k6.js'

test('comment text stays on its line and inside its comment, whatever a flag or a flow name holds', () => {
  assert.equal(commentSafe('a\nb\r\u2028c'), 'a\\u000ab\\u000d\\u2028c')
  assert.equal(commentSafe('x */ y'), 'x * / y')
  assert.equal(commentSafe("--header 'X: <redacted>'"), "--header 'X: <redacted>'")
})
