import { readFileSync } from 'node:fs'
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Small purpose-built misbehaving servers on loopback, one per row of the fault matrix
 * (docs/reliability.md), for what the stand-in can't do. Each listens on 127.0.0.1:0.
 */
export interface FaultServer {
  readonly url: string
  readonly port: number
  /** requests (or connections, for raw-socket servers) seen */
  readonly seen: () => number
  close(): Promise<void>
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void

async function listen(
  server: Server | NetServer,
  scheme = 'http',
  sockets?: Set<Socket>,
): Promise<FaultServer & { server: Server | NetServer }> {
  let count = 0
  const tracked = sockets ?? new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    tracked.add(socket)
    socket.on('close', () => tracked.delete(socket))
  })
  server.on('request', () => count++)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    server,
    port,
    url: `${scheme}://127.0.0.1:${port}`,
    seen: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of tracked) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

export function httpServer(handler: Handler): Promise<FaultServer> {
  const server = createHttpServer({ keepAliveTimeout: 60_000 }, handler)
  return listen(server)
}

/** Drains the request body, then answers. */
function afterBody(req: IncomingMessage, then: () => void): void {
  req.resume()
  req.on('end', then)
}

/** Always the given status, with a JSON error body (100% 5xx, 100% 429 with Retry-After). */
export function statusServer(status: number, headers: Record<string, string> = {}): Promise<FaultServer> {
  return httpServer((req, res) =>
    afterBody(req, () => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers })
      res.end(`{"errors":[{"status":"${status}"}]}`)
    }),
  )
}

/** Sends the status line and part of the body, then resets the connection. */
export function resetMidResponseServer(): Promise<FaultServer> {
  return httpServer((req, res) =>
    afterBody(req, () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' })
      res.write('{"partial":')
      setTimeout(() => res.socket?.resetAndDestroy(), 5)
    }),
  )
}

/** Accepts the request and never answers (the response headers never come). */
export function silentServer(): Promise<FaultServer> {
  return httpServer((req) => afterBody(req, () => {}))
}

/** Answers 200 but trickles the body one byte every `intervalMs`. */
export function trickleServer(bytes: number, intervalMs: number): Promise<FaultServer> {
  return httpServer((req, res) =>
    afterBody(req, () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(bytes) })
      let sent = 0
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer)
        res.write(' ')
        if (++sent >= bytes) {
          clearInterval(timer)
          res.end()
        }
      }, intervalMs)
      res.on('close', () => clearInterval(timer))
    }),
  )
}

/** A 200 with a body of `megabytes` MB, streamed in 64 KiB chunks; `bytesSent` counts what the client took. */
export async function hugeResponseServer(megabytes: number): Promise<FaultServer & { bytesSent(): number }> {
  const chunk = Buffer.alloc(64 * 1024, 'a')
  const total = megabytes * 1024 * 1024
  let bytesSent = 0
  const server = await httpServer((req, res) =>
    afterBody(req, () => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) })
      let sent = 0
      const pump = () => {
        while (sent < total && !res.destroyed) {
          sent += chunk.length
          const more = res.write(chunk)
          bytesSent += chunk.length
          if (!more) return res.once('drain', pump)
        }
        res.end()
      }
      pump()
    }),
  )
  return { ...server, bytesSent: () => bytesSent }
}

/** A raw TCP server that answers every request with bytes that are not HTTP. */
export async function malformedHttpServer(): Promise<FaultServer> {
  let connections = 0
  const server = createNetServer((socket) => {
    connections++
    socket.once('data', () => socket.end('HTTP/1.1 abc WHAT\r\nthis is: not\r\n\r\n\u0000\u0001garbage'))
    socket.on('error', () => {})
  })
  const listening = await listen(server)
  return { ...listening, seen: () => connections }
}

const FIXTURES = fileURLToPath(new URL('../../../test/faults/fixtures/', import.meta.url))

/**
 * HTTPS with a self-signed certificate (a test-only fixture, valid for 100 years) that the
 * client does not trust unless given it as a CA.
 */
export async function untrustedTlsServer(): Promise<FaultServer & { certFile: string }> {
  const certFile = join(FIXTURES, 'untrusted-cert.pem')
  const server = createHttpsServer(
    { key: readFileSync(join(FIXTURES, 'untrusted-key.pem')), cert: readFileSync(certFile) },
    (req, res) =>
      afterBody(req, () => {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end('{"ok":true}')
      }),
  )
  const listening = await listen(server, 'https')
  return { ...listening, certFile }
}

/** A port that nothing listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const server = createNetServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
