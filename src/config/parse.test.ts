import assert from 'node:assert/strict'
import { test } from 'node:test'
import { formatDuration, parseDuration, parseHeader, parseNumber, parseShard, parseStages } from './parse.js'

for (const [text, ms] of [
  ['250ms', 250],
  ['30s', 30_000],
  ['90s', 90_000],
  ['5m', 300_000],
  ['1h', 3_600_000],
  ['1m30s', 90_000],
  ['1.5s', 1500],
  ['45', 45_000],
  [' 2m ', 120_000],
] as const) {
  test(`parseDuration(${JSON.stringify(text)}) = ${ms}`, () => assert.equal(parseDuration(text), ms))
}

for (const text of ['', 'abc', '5 m', '5x', '-3s', 's', '1m-', '1d']) {
  test(`parseDuration(${JSON.stringify(text)}) is refused with an example`, () =>
    assert.throws(() => parseDuration(text), { code: 'CL_CONFIG', message: /like 250ms, 90s, 5m or 1h/ }))
}

// Found by the property test in CI: 40 digits is finite but no longer a whole number of ms.
for (const text of ['9999999999999999999999999999999999999999', '9'.repeat(400), '9999999999999999999999h']) {
  test(`parseDuration of ${text.length} digits is refused as too long`, () =>
    assert.throws(() => parseDuration(text), { code: 'CL_CONFIG', message: /too long to be a duration/ }))
}

for (const [ms, text] of [
  [90_000, '1m30s'],
  [500, '500ms'],
  [3_600_000, '1h'],
  [1500, '1.5s'],
] as const) {
  test(`formatDuration(${ms}) = ${text}`, () => assert.equal(formatDuration(ms), text))
}

test('parseStages reads DURATION:SHARE items', () => {
  assert.deepEqual(parseStages('1m:0.1,5m:1'), [
    { durationMs: 60_000, target: 0.1 },
    { durationMs: 300_000, target: 1 },
  ])
  assert.deepEqual(parseStages(' 30s : 2 '.replace(/ /g, '')), [{ durationMs: 30_000, target: 2 }])
})

for (const [text, message] of [
  ['', /is empty/],
  ['1m', /write DURATION:SHARE/],
  ['1m:', /write DURATION:SHARE/],
  [':1', /write DURATION:SHARE/],
  ['1m:abc', /stage share in "1m:abc" must be a number/],
  ['1m:-1', /must be at least 0/],
  ['0s:1', /more than 0/],
  ['1x:1', /invalid stage duration/],
  ['1m:1:2', /write DURATION:SHARE/],
] as const) {
  test(`parseStages(${JSON.stringify(text)}) is refused`, () =>
    assert.throws(() => parseStages(text), { code: 'CL_CONFIG', message }))
}

test('parseNumber checks kind and bounds', () => {
  assert.equal(parseNumber('2.5', '--scale', { min: 0, exclusiveMin: true }), 2.5)
  assert.throws(
    () => parseNumber('0', '--scale', { min: 0, exclusiveMin: true }),
    /--scale must be greater than 0/,
  )
  assert.throws(() => parseNumber('1.5', '--workers', { integer: true }), /--workers must be a whole number/)
  assert.throws(() => parseNumber('', '--seed'), /--seed must be a number/)
  assert.throws(() => parseNumber('Infinity', '--seed'), /must be a number/)
})

test('parseHeader lower-cases the name and keeps the value', () => {
  assert.deepEqual(parseHeader('X-Key-Inflection: camel'), ['x-key-inflection', 'camel'])
  assert.deepEqual(parseHeader('Authorization: Bearer a:b'), ['authorization', 'Bearer a:b'])
  assert.throws(() => parseHeader('no colon'), /write "Name: value"/)
  assert.throws(() => parseHeader('bad name: x'), /write "Name: value"/)
})

test('parseShard reads I/N', () => {
  assert.deepEqual(parseShard('1/4'), { index: 1, count: 4 })
  for (const bad of ['4/4', '1/0', 'a/b', '1-4', '']) assert.throws(() => parseShard(bad), /I\/N/)
})
