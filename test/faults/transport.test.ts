import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type MockServer, startMockProcess, startMockServer } from '../../src/mock/index.js'
import { getSession, runAgainst, runArgs, runWith, unusedPort } from './matrix.js'
import { errorKinds, START_LINE } from './run-cli.js'
import { malformedHttpServer, resetMidResponseServer, silentServer, trickleServer } from './servers.js'

/**
 * The fault matrix, transport rows (docs/reliability.md): `checkin-load run` spawned as a user runs
 * it against a target that is not there, dies, resets, never answers, trickles or speaks garbage.
 * Every row also checks (matrix.ts runWith): the run ends on time, exits as documented, counts
 * every request as ok or under one error kind (never `other`), writes series.ndjson (ending in its
 * end line), summary.json and report.html, and keeps its peak RSS bounded.
 */
describe('fault matrix, transport: checkin-load run against a target that fails the connection', {
  concurrency: 4,
}, () => {
  test('target not listening at start: connect_refused, exit 99 by the default SLOs', async () => {
    const port = await unusedPort()
    // the default SLOs on (http_req_failed rate<0.01 fails): exit 99
    const { summary, why } = await runWith(
      (out) => runArgs(`http://127.0.0.1:${port}`, out).filter((a) => a !== '--no-default-slos'),
      99,
    )
    assert.deepEqual(errorKinds(summary), ['connect_refused'], why)
    assert.equal(getSession(summary).requests, 15, why)
    assert.equal(summary.total.errors.connect_refused, 15, why)
    assert.equal(summary.passed, false)
    const failed = summary.thresholds.find((t) => t.metric === 'http_req_failed')
    assert.deepEqual([failed?.value, failed?.ok], [1, false], why)
  })

  test('target killed mid-run (the stand-in process, SIGKILL) and restarted on the same port: refused/reset, then ok again', async (t) => {
    const first = await startMockProcess({ seed: 3 })
    const port = Number(new URL(first.url).port)
    const timers: NodeJS.Timeout[] = []
    let restarted: Promise<MockServer> | undefined
    let startedAt = 0
    /** seconds from the start line to the restarted stand-in's listening line */
    let upAtS = Number.POSITIVE_INFINITY
    try {
      const args = (out: string) => [
        ...runArgs(first.url, out).filter((a) => a !== '--quiet'),
        '--duration',
        '6s',
        '--scale',
        '0.2',
      ]
      const ran = await runWith(args, 0, (line) => {
        if (!START_LINE.test(line)) return
        // time zero follows the start line within milliseconds: kill at ~1 s, start again at ~1.5 s
        // (in this process, so that it is back in milliseconds even on a busy machine)
        startedAt = Date.now()
        timers.push(
          setTimeout(() => process.kill(first.pid, 'SIGKILL'), 1000),
          setTimeout(() => {
            restarted = startMockServer({ port, seed: 4, quiet: true, closeTimeoutMs: 1000 })
            restarted.then(
              () => {
                upAtS = (Date.now() - startedAt) / 1000
              },
              () => {},
            )
          }, 1500),
        )
      })
      const { summary, lines, why } = ran
      t.diagnostic(
        `restarted stand-in listening ${upAtS} s after the start; errors ${JSON.stringify(summary.total.errors)}`,
      )
      const kinds = errorKinds(summary)
      assert.ok(
        kinds.every((k) => ['connect_refused', 'reset', 'http_4xx', 'timeout'].includes(k)),
        `kinds ${kinds}: ${why}`,
      )
      assert.ok((summary.total.errors.connect_refused ?? 0) > 0, `refused while down: ${why}`)
      const okBySecond = lines
        .filter((l): l is { type: 'second'; endpoints: Record<string, { ok: number }> } => {
          return (l as { type: string }).type === 'second'
        })
        .map((l) => Object.values(l.endpoints).reduce((sum, e) => sum + e.ok, 0))
      assert.ok(okBySecond[0]! > 0, `ok before the kill: ${okBySecond}`)
      assert.ok(upAtS < 5, `the stand-in came back within the run (at ${upAtS} s)`)
      assert.ok(
        okBySecond.slice(Math.ceil(upAtS)).some((n) => n > 0),
        `ok again after the restart at ${upAtS} s: ${okBySecond}`,
      )
    } finally {
      for (const timer of timers) clearTimeout(timer)
      await first.stop()
      await (await restarted?.catch(() => undefined))?.close()
    }
  })

  test('connection reset mid-response: reset', async () => {
    const server = await resetMidResponseServer()
    try {
      const { summary, why } = await runAgainst(server.url, 0)
      assert.deepEqual(errorKinds(summary), ['reset'], why)
      assert.equal(getSession(summary).requests, 15, why)
      assert.equal(summary.total.ok, 0)
    } finally {
      await server.close()
    }
  })

  test('response headers never sent: timeout after --timeout, the run still ends on time', async () => {
    const server = await silentServer()
    try {
      const { summary, why } = await runAgainst(server.url, 0, ['--timeout', '1s'])
      assert.deepEqual(errorKinds(summary), ['timeout'], why)
      assert.equal(getSession(summary).requests, 15, why)
      assert.equal(server.seen(), 15, 'each visit sent its first request, then gave up')
      // 3 s of arrivals, the last one times out 1 s later: the drain (2 s) never runs out
      assert.ok(summary.durationS < 3 + 2 + 1, `durationS ${summary.durationS}`)
    } finally {
      await server.close()
    }
  })

  test('a body trickled byte by byte, each byte within --timeout: slow but ok (the wait between bytes is timed, not the whole body)', async () => {
    // 6 bytes, one every 250 ms: 1.5 s per response, longer than the 1 s timeout, each gap well under it
    const server = await trickleServer(6, 250)
    try {
      const { summary, why } = await runAgainst(server.url, 0, ['--timeout', '1s'])
      const first = getSession(summary)
      assert.equal(first.requests, 15, why)
      // the visits that arrived early had seconds to spare before the drain ended (clocks loosely)
      assert.ok(first.ok >= 5, `first steps answered, slowly: ${why}`)
      assert.ok(first.latencyFromSendMs.min >= 1000, `each answer took longer than --timeout: ${why}`)
      // steps still trickling when the drain (timeout + 1 s) ran out count as timeouts
      assert.ok(
        errorKinds(summary).every((k) => k === 'timeout'),
        `only abandoned steps fail: ${why}`,
      )
    } finally {
      await server.close()
    }
  })

  test('a body trickled slower than --timeout: timeout', async () => {
    // one byte every 1.5 s: the headers (sent with the first byte) and every gap exceed 1 s
    const server = await trickleServer(8, 1500)
    try {
      const { summary, why } = await runAgainst(server.url, 0, ['--timeout', '1s'])
      assert.deepEqual(errorKinds(summary), ['timeout'], why)
      assert.equal(getSession(summary).requests, 15, why)
      assert.equal(summary.total.ok, 0, why)
    } finally {
      await server.close()
    }
  })

  test('malformed HTTP: protocol', async () => {
    const server = await malformedHttpServer()
    try {
      const { summary, why } = await runAgainst(server.url, 0)
      assert.deepEqual(errorKinds(summary), ['protocol'], why)
      assert.equal(getSession(summary).requests, 15, why)
    } finally {
      await server.close()
    }
  })
})
