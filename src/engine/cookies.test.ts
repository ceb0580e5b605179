import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CookieJar, isSetCookieName } from './cookies.js'

test('keeps name=value pairs and sends them back in one header', () => {
  const jar = new CookieJar()
  assert.equal(jar.header, '')
  jar.set('api_session=abc123; Path=/; HttpOnly; SameSite=Lax')
  assert.equal(jar.header, 'api_session=abc123')
  jar.set('other=x=y')
  assert.equal(jar.header, 'api_session=abc123; other=x=y')
  jar.set('api_session=def; Secure')
  assert.equal(jar.header, 'api_session=def; other=x=y')
  assert.equal(jar.get('other'), 'x=y')
  assert.equal(jar.size, 2)
})

for (const [text, kept] of [
  ['a=1; Max-Age=0', false],
  ['a=1; max-age=-5', false],
  ['a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT', false],
  ['a=1; Max-Age=3600', true],
  ['a=1; Expires=Fri, 01 Jan 2100 00:00:00 GMT', true],
] as const) {
  test(`Set-Cookie "${text}" ${kept ? 'keeps' : 'removes'} the cookie`, () => {
    const jar = new CookieJar()
    jar.set('a=0')
    jar.set(text)
    assert.equal(jar.get('a') !== undefined, kept)
  })
}

test('ignores malformed Set-Cookie values; clear() empties the jar', () => {
  const jar = new CookieJar()
  for (const bad of ['', '=x', 'novalue', ';a=b']) jar.set(bad)
  assert.equal(jar.header, '')
  jar.set('a=b')
  jar.clear()
  assert.equal(jar.header, '')
  assert.equal(jar.size, 0)
})

test('recognizes the Set-Cookie header name in any case', () => {
  for (const name of ['set-cookie', 'Set-Cookie', 'SET-COOKIE'])
    assert.equal(isSetCookieName(Buffer.from(name)), true)
  for (const name of ['set-cookies', 'cookie', 'content-type', 'xet-cookie']) {
    assert.equal(isSetCookieName(Buffer.from(name)), false)
  }
})
