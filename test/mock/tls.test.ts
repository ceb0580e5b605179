import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { test } from 'node:test'
import { Agent, request } from 'undici'
import { startMockProcess, startMockServer } from '../../src/mock/index.js'
import { BIN_PATH } from '../../src/mock/process.js'

/** `checkin-load mock --tls`: HTTPS with a certificate made at start, its CA in a file for `run --ca`. */

test('a TLS request with the printed CA succeeds; without it the certificate is refused', async () => {
  const server = await startMockServer({ port: 0, quiet: true, tls: true, timeScale: 0 })
  try {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/)
    assert.ok(server.caPath !== undefined && existsSync(server.caPath))
    const ca = readFileSync(server.caPath, 'utf8')
    assert.match(ca, /^-----BEGIN CERTIFICATE-----/)
    for (const url of [server.url, server.url.replace('127.0.0.1', 'localhost')]) {
      const trusting = new Agent({ connect: { ca } })
      const answer = await request(`${url}/health`, { dispatcher: trusting })
      assert.equal(answer.statusCode, 200, url)
      assert.deepEqual(await answer.body.json(), { status: 'ok' })
      await trusting.close()
    }
    const plain = new Agent()
    await assert.rejects(
      request(`${server.url}/health`, { dispatcher: plain }),
      (error: Error & { code?: string }) => /CERT|certificate/i.test(`${error.code} ${error.message}`),
    )
    await plain.close()
  } finally {
    await server.close()
  }
  assert.equal(existsSync(server.caPath!), false, 'the temporary certificate folder is removed at close')
})

test('startMockProcess({ tls: true }): the child serves HTTPS, the CA path is known, removed at stop', async () => {
  const mock = await startMockProcess({ tls: true, timeScale: 0, startTimeoutMs: 30_000 })
  try {
    assert.match(mock.url, /^https:\/\//)
    assert.ok(mock.caPath !== undefined && existsSync(mock.caPath))
    const agent = new Agent({ connect: { ca: readFileSync(mock.caPath, 'utf8') } })
    const answer = await request(`${mock.url}/check_in/v2/sessions/d602d9eb-9a31-484f-9637-13ab0b507e0d`, {
      dispatcher: agent,
    })
    assert.equal(answer.statusCode, 200)
    await answer.body.dump()
    await agent.close()
  } finally {
    await mock.stop()
  }
  assert.equal(existsSync(mock.caPath!), false)
})

test('bad --web-origin and --tls-dir without --tls: one line, exit 2', () => {
  for (const [args, message] of [
    [['--web-origin', 'https://www.va.gov/'], /--web-origin: "https:\/\/www\.va\.gov\/" is not an origin/],
    [['--web-origin', ' , '], /--web-origin needs at least one origin/],
    [['--tls-dir', '/tmp/nowhere'], /--tls-dir needs --tls/],
  ] as const) {
    const result = spawnSync(process.execPath, [BIN_PATH, 'mock', '--port', '0', ...args], {
      encoding: 'utf8',
    })
    assert.equal(result.status, 2, args.join(' '))
    assert.match(result.stderr, message)
    assert.equal(result.stderr.trim().split('\n').length, 1)
  }
})
