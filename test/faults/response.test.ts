import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { getSession, runAgainst } from './matrix.js'
import { errorKinds } from './run-cli.js'
import { type FaultServer, hugeResponseServer, statusServer, untrustedTlsServer } from './servers.js'

/**
 * The fault matrix, response rows (docs/reliability.md): huge bodies, TLS, DNS, and statuses that
 * say no (100% 5xx, 100% 429). Every row also checks what matrix.ts runWith checks: on time, the
 * documented exit code, every failure under its kind, the three files, bounded memory.
 */
describe('fault matrix, responses: checkin-load run against a target that answers badly', {
  concurrency: 4,
}, () => {
  test('TLS handshake failure (an untrusted certificate, no --ca): tls, no request reaches the server', async () => {
    const server = await untrustedTlsServer()
    try {
      const { summary, why } = await runAgainst(server.url, 0)
      assert.deepEqual(errorKinds(summary), ['tls'], why)
      assert.equal(getSession(summary).requests, 15, why)
      assert.equal(server.seen(), 0)
    } finally {
      await server.close()
    }
  })

  test('the same certificate trusted with --ca <fixture>: ok', async () => {
    const server = await untrustedTlsServer()
    try {
      // --timeout 5s: a handshake delayed by a busy machine must not count as a timeout here
      const { summary, why } = await runAgainst(server.url, 0, ['--ca', server.certFile, '--timeout', '5s'])
      assert.deepEqual(
        errorKinds(summary).filter((k) => k !== 'timeout'),
        [],
        why,
      )
      assert.equal(getSession(summary).ok, 15, why)
      assert.ok(server.seen() >= 15)
    } finally {
      await server.close()
    }
  })

  test('a host name that does not resolve (RFC 2606 .invalid): dns', async () => {
    // 1 visit a second: 3 lookups of a name guaranteed not to exist; no connection is ever made
    // --timeout 5s: the lookup is part of the connect timeout, and a busy resolver may take a while
    const { summary, why } = await runAgainst('http://no-such-host.invalid:8080', 0, [
      '--scale',
      '0.02',
      '--timeout',
      '5s',
    ])
    assert.deepEqual(errorKinds(summary), ['dns'], why)
    assert.equal(getSession(summary).requests, 3, why)
  })

  test("100% 5xx with --threshold 'http_req_failed: rate<0.01': http_5xx, exit 99", async () => {
    const server = await statusServer(500)
    try {
      const { summary, why } = await runAgainst(server.url, 99, ['--threshold', 'http_req_failed: rate<0.01'])
      assert.deepEqual(errorKinds(summary), ['http_5xx'], why)
      assert.deepEqual(summary.total.status, { '500': 15 }, why)
      assert.deepEqual(
        summary.thresholds.map((t) => [t.metric, t.expr, t.value, t.ok]),
        [['http_req_failed', 'rate<0.01', 1, false]],
      )
    } finally {
      await server.close()
    }
  })

  test('100% 429 with Retry-After: http_4xx; the open model keeps its schedule (exit 0 without thresholds)', async () => {
    const server: FaultServer = await statusServer(429, { 'retry-after': '30' })
    try {
      const { summary, why } = await runAgainst(server.url, 0)
      assert.deepEqual(errorKinds(summary), ['http_4xx'], why)
      assert.deepEqual(summary.total.status, { '429': 15 }, why)
      // Retry-After does not slow the arrivals: every scheduled visit was sent
      assert.equal(getSession(summary).requests, 15, why)
      assert.equal(server.seen(), 15)
      assert.equal(summary.passed, true)
    } finally {
      await server.close()
    }
  })
})

// alone, after the others: streaming gigabytes keeps this process (which serves every fault) busy
describe('fault matrix, responses: a huge body', () => {
  test('a 50 MB response to every request: bodies streamed and dropped, memory bounded (ok, or timeout when the drain ends first)', async (t) => {
    const server = await hugeResponseServer(50)
    try {
      // 1 visit a second: 3 visits, up to 4 steps each, 50 MB per answer; --timeout 5s: slow
      // transfers on a busy machine are not cut early (the drain lasts timeout + 1 s)
      const { summary, run, why } = await runAgainst(server.url, 0, ['--scale', '0.02', '--timeout', '5s'])
      const mb = Math.round(server.bytesSent() / 1_048_576)
      t.diagnostic(`${mb} MB streamed, ${summary.total.ok} answers read whole, peak RSS ${run.peakRssMb} MB`)
      assert.equal(getSession(summary).requests, 3, why)
      assert.ok(
        errorKinds(summary).every((k) => k === 'timeout'),
        `nothing but transfers cut by the drain: ${why}`,
      )
      // the memory check means something only if at least a whole body went through
      assert.ok(mb >= 50, `${mb} MB streamed: ${why}`)
      // about 110-160 MB whatever was streamed: a body kept in memory would add 50 MB a request
      assert.ok(run.peakRssMb < 200, `peak RSS ${run.peakRssMb} MB after ${mb} MB: ${why}`)
    } finally {
      await server.close()
    }
  })
})
