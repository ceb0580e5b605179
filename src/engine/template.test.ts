import assert from 'node:assert/strict'
import { test } from 'node:test'
import { compileBodyTemplate, compilePathTemplate, compileTemplate } from './template.js'

const NAMES = ['uuid', 'lastName', 'dob'] as const
const VALUES = ['d602d9eb-9a31-484f-9637-13ab0b507e0d', 'O\'Neil "Jr" \\ é', '1960-03-12']

for (const [path, expected] of [
  ['/check_in/v2/sessions/{{uuid}}', '/check_in/v2/sessions/d602d9eb-9a31-484f-9637-13ab0b507e0d'],
  ['/s/{{uuid}}?checkInType=preCheckIn', '/s/d602d9eb-9a31-484f-9637-13ab0b507e0d?checkInType=preCheckIn'],
  ['/n/{{ lastName }}', "/n/O'Neil%20%22Jr%22%20%5C%20%C3%A9"],
  ['/static', '/static'],
  ['/{{dob}}/{{dob}}', '/1960-03-12/1960-03-12'],
] as const) {
  test(`path ${path}`, () => assert.equal(compilePathTemplate(path, NAMES, 'test').render(VALUES), expected))
}

test('a JSON body is serialized once; values are escaped as JSON string content', () => {
  const body = { session: { uuid: '{{uuid}}', last_name: '{{lastName}}', n: 1, ok: true, none: null } }
  const template = compileBodyTemplate(body, NAMES, 'test')
  const rendered = template.render(VALUES)
  assert.deepEqual(JSON.parse(rendered), {
    session: { uuid: VALUES[0], last_name: VALUES[1], n: 1, ok: true, none: null },
  })
  assert.equal(template.slots.length, 2)
})

test('a static template is recognized and renders itself', () => {
  const template = compileTemplate('{"a":1}', NAMES, (v) => v, 'test')
  assert.equal(template.isStatic, true)
  assert.equal(template.render([]), '{"a":1}')
})

test('an unknown variable is a ConfigError naming the place and the known ones', () => {
  assert.throws(
    () => compilePathTemplate('/x/{{nope}}', NAMES, 'flow "a" step 1: path'),
    (error: Error & { code?: string }) =>
      error.code === 'CL_CONFIG' &&
      /flow "a" step 1: path: unknown template variable \{\{nope\}\}/.test(error.message) &&
      /\{\{uuid\}\}/.test(error.message),
  )
})
