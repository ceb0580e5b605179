import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer as createHttpsServer } from 'node:https'
import { createServer as createNetServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { okHandler, oneStepFlow, runEngine, startServer, totals } from './helpers.js'

/**
 * Failures are data: whatever the target does (not there, dying, resetting, never answering,
 * speaking garbage, a certificate we don't trust), the run ends on time, each failure is counted
 * under its kind, and nothing crashes.
 */
const base = {
  stages: [{ durationMs: 2000, target: 1 }],
  startShare: 1,
  scale: 1,
  arrival: 'constant' as const,
  seed: 1,
  maxInFlight: 1000,
  timeoutMs: 5000,
}

async function freePort(): Promise<number> {
  const server = await startServer(okHandler)
  const { port } = server
  await server.close()
  return port
}

test('a target down at the start, coming up after 1 s: connect_refused, then ok', async () => {
  const port = await freePort()
  let server: Awaited<ReturnType<typeof startServer>> | undefined
  const up = setTimeout(() => {
    startServer(okHandler, port).then((s) => {
      server = s
    })
  }, 1000)
  try {
    const { seconds } = await runEngine({
      ...base,
      target: `http://127.0.0.1:${port}`,
      flows: [oneStepFlow(60 * 50)],
    })
    const ping = totals(seconds, 'ping')
    assert.equal(ping.asked, 100)
    assert.equal(ping.requests, 100)
    assert.ok((ping.errors.connect_refused ?? 0) >= 30, JSON.stringify(ping.errors))
    assert.ok(ping.ok >= 30, `ok ${ping.ok}`)
    assert.equal(ping.ok + (ping.errors.connect_refused ?? 0), 100, JSON.stringify(ping.errors))
  } finally {
    clearTimeout(up)
    await server?.close()
  }
})

test('a target dying mid-run: in-flight requests reset, then connect_refused; the run ends', async () => {
  const server = await startServer((req, res) => {
    req.resume()
    // slow answers, so that some are in flight when the server dies
    setTimeout(() => {
      res.writeHead(200)
      res.end()
    }, 50)
  })
  const die = setTimeout(() => {
    server.server.close()
    server.server.closeAllConnections()
  }, 1000)
  try {
    const { seconds, result } = await runEngine({
      ...base,
      target: server.url,
      flows: [oneStepFlow(60 * 100)],
    })
    const ping = totals(seconds, 'ping')
    assert.equal(ping.asked, 200)
    assert.equal(ping.requests, 200)
    assert.ok(ping.ok >= 60 && ping.ok <= 110, `ok ${ping.ok}`)
    assert.ok((ping.errors.reset ?? 0) >= 1, JSON.stringify(ping.errors))
    assert.ok((ping.errors.connect_refused ?? 0) >= 60, JSON.stringify(ping.errors))
    assert.equal(ping.ok + (ping.errors.reset ?? 0) + (ping.errors.connect_refused ?? 0), 200)
    assert.equal(result.abandonedInFlight, 0)
  } finally {
    clearTimeout(die)
    await server.close()
  }
})

test('a target resetting every third connection: reset, counted exactly', async () => {
  let n = 0
  const server = await startServer((req, res) => {
    req.resume()
    if (++n % 3 === 0) {
      req.socket.destroy()
      return
    }
    res.writeHead(200)
    res.end()
  })
  try {
    const { seconds } = await runEngine({ ...base, target: server.url, flows: [oneStepFlow(60 * 60)] })
    const ping = totals(seconds, 'ping')
    assert.equal(ping.requests, 120)
    assert.equal(ping.errors.reset, 40, JSON.stringify(ping.errors))
    assert.equal(ping.ok, 80)
  } finally {
    await server.close()
  }
})

test('a target that never answers some requests: timeout after timeoutMs, no hang', async () => {
  let n = 0
  const server = await startServer((req, res) => {
    req.resume()
    if (++n % 2 === 0) return // never answers
    res.writeHead(200)
    res.end()
  })
  try {
    const started = Date.now()
    const { seconds, result } = await runEngine({
      ...base,
      timeoutMs: 300,
      target: server.url,
      flows: [oneStepFlow(60 * 20)],
    })
    const ping = totals(seconds, 'ping')
    assert.equal(ping.requests, 40)
    assert.equal(ping.errors.timeout, 20, JSON.stringify(ping.errors))
    assert.equal(ping.ok, 20)
    assert.equal(result.abandonedInFlight, 0)
    assert.ok(Date.now() - started < 8000, 'ends soon after the stages')
  } finally {
    await server.close()
  }
})

test('the in-flight cap drops arrivals (every step of the flow) and counts them; the drain abandons the rest', async () => {
  const server = await startServer((req) => {
    req.resume() // holds every request: nothing ever answers
  })
  try {
    const started = Date.now()
    const { seconds, result } = await runEngine({
      ...base,
      maxInFlight: 10,
      timeoutMs: 30_000,
      drainTimeoutMs: 300,
      target: server.url,
      flows: [
        {
          name: 'two',
          arrivalsPerMinute: 60 * 50,
          steps: [
            { endpoint: 'a', method: 'GET', path: '/a' },
            { endpoint: 'b', method: 'GET', path: '/b' },
          ],
        },
      ],
    })
    const a = totals(seconds, 'a')
    const b = totals(seconds, 'b')
    assert.equal(result.arrivals, 100)
    assert.equal(result.droppedArrivals, 90)
    assert.deepEqual([a.asked, a.dropped, a.requests], [100, 90, 10])
    assert.deepEqual([b.asked, b.dropped, b.requests], [90, 90, 0])
    assert.equal(a.errors.timeout, 10, 'abandoned at the end of the drain: timeouts')
    assert.equal(result.abandonedInFlight, 10)
    assert.ok(Date.now() - started < 6000, 'no hang')
  } finally {
    await server.close()
  }
})

test('stop() ends arrivals early; abort() ends at once, counting what is in flight as timeouts', async () => {
  const server = await startServer((req) => {
    req.resume()
  })
  try {
    const started = Date.now()
    const { seconds, result } = await runEngine(
      {
        ...base,
        stages: [{ durationMs: 30_000, target: 1 }],
        target: server.url,
        flows: [oneStepFlow(60 * 20)],
      },
      (engine) => {
        setTimeout(() => engine.stop(), 500)
        setTimeout(() => engine.abort(), 800)
      },
    )
    const ping = totals(seconds, 'ping')
    assert.equal(result.stopped, true)
    assert.equal(result.aborted, true)
    assert.ok(ping.asked >= 5 && ping.asked <= 20, `asked ${ping.asked} (about 10: 20/s for 0.5 s)`)
    assert.equal(ping.errors.timeout, ping.asked)
    assert.equal(result.abandonedInFlight, ping.asked)
    assert.ok(Date.now() - started < 5000)
  } finally {
    await server.close()
  }
})

test('garbage instead of HTTP: protocol', async () => {
  const sockets = new Set<Socket>()
  const server = createNetServer((socket) => {
    sockets.add(socket)
    socket.once('data', () => socket.end('HTTP/1.1 2OO NOT-A-STATUS\r\nbad header line\r\n\r\n'))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  try {
    const { seconds } = await runEngine({
      ...base,
      stages: [{ durationMs: 1000, target: 1 }],
      target: `http://127.0.0.1:${port}`,
      flows: [oneStepFlow(60 * 10)],
    })
    const ping = totals(seconds, 'ping')
    assert.equal(ping.requests, 10)
    assert.equal(ping.errors.protocol, 10, JSON.stringify(ping.errors))
  } finally {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
})

test('HTTPS: an untrusted certificate is tls; trusted with --ca or accepted with --insecure', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'checkin-load-tls-'))
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '2',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'ignore' },
    )
    const cert = readFileSync(join(dir, 'cert.pem'))
    const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert }, okHandler)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const target = `https://127.0.0.1:${(server.address() as { port: number }).port}`
    try {
      const run = async (tls: { ca?: Buffer; insecure?: boolean }) =>
        totals(
          (
            await runEngine({
              ...base,
              ...tls,
              stages: [{ durationMs: 500, target: 1 }],
              target,
              flows: [oneStepFlow(60 * 20)],
            })
          ).seconds,
          'ping',
        )
      const untrusted = await run({})
      assert.equal(untrusted.requests, 10)
      assert.equal(untrusted.errors.tls, 10, JSON.stringify(untrusted.errors))
      assert.equal((await run({ ca: cert })).ok, 10)
      assert.equal((await run({ insecure: true })).ok, 10)
    } finally {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
