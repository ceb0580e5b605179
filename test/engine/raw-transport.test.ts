import assert from 'node:assert/strict'
import { createServer as createNetServer, type Server, type Socket } from 'node:net'
import { test } from 'node:test'
import { parseTransport, type Transport } from '../../src/engine/index.js'
import type { FlowSpec } from '../../src/profile/types.js'
import { okHandler, oneStepFlow, runEngine, startServer, totals } from './helpers.js'

/**
 * The raw transport against servers that speak HTTP/1.1 in awkward but legal ways (one byte per
 * write, chunked with extensions and trailers, Connection: close, a body read until the close, a
 * 50 MB body) and in illegal ones (a head larger than 64 KiB): the counts come out exact.
 */
const base = {
  stages: [{ durationMs: 1000, target: 1 }],
  startShare: 1,
  scale: 1,
  arrival: 'constant' as const,
  seed: 1,
  maxInFlight: 100,
  timeoutMs: 5000,
  transport: 'raw' as Transport,
}

/** A TCP server that answers each request (head read up to its blank line) with `answer(n)`. */
async function rawServer(
  answer: (n: number, socket: Socket, head: string) => void,
): Promise<{ url: string; close(): Promise<void>; connections(): number }> {
  const sockets = new Set<Socket>()
  let n = 0
  let connections = 0
  const server: Server = createNetServer((socket) => {
    sockets.add(socket)
    connections++
    let seen = ''
    socket.on('error', () => {})
    socket.on('data', (chunk) => {
      seen += chunk.toString('latin1')
      for (let at = seen.indexOf('\r\n\r\n'); at >= 0; at = seen.indexOf('\r\n\r\n')) {
        const head = seen.slice(0, at + 4)
        const length = /content-length: (\d+)/i.exec(head)
        const end = at + 4 + (length ? Number(length[1]) : 0)
        if (seen.length < end) break
        seen = seen.slice(end)
        answer(++n, socket, head)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** Writes `text` one byte per write, each on its own turn of the loop. */
function byteByByte(socket: Socket, text: string): void {
  const bytes = Buffer.from(text, 'latin1')
  let i = 0
  const next = () => {
    if (i >= bytes.length || socket.destroyed) return
    socket.write(bytes.subarray(i, ++i), () => setImmediate(next))
  }
  next()
}

const LOGIN_FLOW: FlowSpec = {
  name: 'login',
  arrivalsPerMinute: 60 * 20,
  steps: [
    { endpoint: 'login', method: 'POST', path: '/login', body: { name: 'x' } },
    { endpoint: 'data', method: 'GET', path: '/data' },
  ],
}

test('one byte per write: chunked with extensions and trailers; Set-Cookie kept and sent back', async () => {
  let withCookie = 0
  const server = await rawServer((_n, socket, head) => {
    if (head.includes('\r\ncookie: session=abc; other=1\r\n')) withCookie++
    byteByByte(
      socket,
      'HTTP/1.1 200 OK\r\nSet-Cookie: session=abc; Path=/\r\nSet-Cookie: other=1\r\n' +
        'Transfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nTrailer: x\r\n\r\n',
    )
  })
  try {
    const { seconds } = await runEngine({
      ...base,
      stages: [{ durationMs: 500, target: 1 }],
      target: server.url,
      flows: [LOGIN_FLOW],
    })
    assert.deepEqual([totals(seconds, 'login').ok, totals(seconds, 'data').ok], [10, 10])
    assert.equal(withCookie, 10, 'every second step sends both cookies back')
  } finally {
    await server.close()
  }
})

test('Connection: close and bodies read until the close: a new connection each, all ok', async () => {
  const server = await rawServer((n, socket) => {
    if (n % 2 === 0) socket.end('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok')
    else socket.end('HTTP/1.1 200 OK\r\n\r\nuntil the close')
  })
  try {
    const { seconds } = await runEngine({ ...base, target: server.url, flows: [oneStepFlow(60 * 30)] })
    const ping = totals(seconds, 'ping')
    assert.deepEqual([ping.requests, ping.ok], [30, 30], JSON.stringify(ping.errors))
    assert.equal(server.connections(), 30)
  } finally {
    await server.close()
  }
})

test('a 50 MB body streams through; a head over 64 KiB is protocol; a reset mid-body is reset', async () => {
  const big = Buffer.alloc(50 * 1024 * 1024, 0x61)
  const server = await rawServer((n, socket) => {
    if (n === 1) {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${big.length}\r\n\r\n`)
      socket.write(big)
    } else if (n === 2) {
      socket.end(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\nContent-Length: 0\r\n\r\n`)
    } else {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part', () => socket.destroy())
    }
  })
  try {
    const heapBefore = process.memoryUsage().heapUsed
    const { seconds } = await runEngine({
      ...base,
      maxInFlight: 1,
      connections: 1,
      stages: [{ durationMs: 3000, target: 1 }],
      target: server.url,
      flows: [oneStepFlow(60)],
    })
    const ping = totals(seconds, 'ping')
    assert.equal(ping.requests, 3)
    assert.deepEqual([ping.ok, ping.errors.protocol, ping.errors.reset], [1, 1, 1], JSON.stringify(ping))
    assert.ok(process.memoryUsage().heapUsed - heapBefore < 30 * 1024 * 1024, 'the body was not kept')
  } finally {
    await server.close()
  }
})

test('a non-ASCII body goes out as UTF-8 with its byte length; an ASCII one byte for byte', async () => {
  const bodies: string[] = []
  const server = await startServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      bodies.push(`${req.headers['content-length']}:${body.toString('utf8')}`)
      res.writeHead(200)
      res.end()
    })
  })
  try {
    const flow = (name: string): FlowSpec => ({
      name,
      arrivalsPerMinute: 60 * 10,
      steps: [{ endpoint: 'post', method: 'POST', path: '/p', body: { name } }],
    })
    const { seconds } = await runEngine({
      ...base,
      stages: [{ durationMs: 500, target: 1 }],
      target: server.url,
      flows: [flow('Zoë Ångström'), flow('plain')],
    })
    assert.equal(totals(seconds, 'post').ok, 10)
    assert.equal(bodies.filter((b) => b === '26:{"name":"Zoë Ångström"}').length, 5, bodies.join('|'))
    assert.equal(bodies.filter((b) => b === '16:{"name":"plain"}').length, 5, bodies.join('|'))
  } finally {
    await server.close()
  }
})

test('raw and undici count the same against the same server', async () => {
  const server = await startServer(okHandler)
  try {
    for (const transport of ['raw', 'undici'] as const) {
      const { seconds, engine } = await runEngine({
        ...base,
        transport,
        target: server.url,
        flows: [LOGIN_FLOW],
      })
      assert.equal(engine.transport, transport)
      assert.deepEqual([totals(seconds, 'login').ok, totals(seconds, 'data').ok], [20, 20], transport)
    }
  } finally {
    await server.close()
  }
})

test('parseTransport picks the transport; raw by default; anything else is refused', () => {
  assert.equal(parseTransport(undefined), 'raw')
  assert.equal(parseTransport(''), 'raw')
  assert.equal(parseTransport('undici'), 'undici')
  assert.equal(parseTransport('raw'), 'raw')
  assert.throws(() => parseTransport('http2'), /CHECKIN_LOAD_TRANSPORT must be raw or undici, not "http2"/)
})
