import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { buildMockApp } from './app.js'
import type { MockOptions } from './options.js'

export interface MockServerOptions extends MockOptions {
  /** default 127.0.0.1 */
  readonly host?: string
  /** default 3000; 0 = a free port */
  readonly port?: number
  /** how long close() waits for requests in flight before cutting connections, ms (default 10 s) */
  readonly closeTimeoutMs?: number
}

export interface MockServer {
  /** http://HOST:PORT, with the port actually bound */
  readonly url: string
  readonly app: FastifyInstance
  /** Stops accepting, lets requests in flight finish (up to closeTimeoutMs), then cuts the rest. */
  close(): Promise<void>
}

export const DEFAULT_CLOSE_TIMEOUT_MS = 10_000

/** The stand-in listening in this process. */
export async function startMockServer(opts: MockServerOptions = {}): Promise<MockServer> {
  const app = buildMockApp(opts)
  const host = opts.host ?? '127.0.0.1'
  await app.listen({ host, port: opts.port ?? 3000 })
  const address = app.server.address() as AddressInfo
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= closeWithin(app, opts.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS)
    return closing
  }
  return { url, app, close }
}

async function closeWithin(app: FastifyInstance, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  // connections busy when closing started become idle later: close those as they go idle
  const sweep = setInterval(() => app.server.closeIdleConnections(), 100)
  sweep.unref()
  const cut = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      app.server.closeAllConnections()
      resolve()
    }, timeoutMs)
    timer.unref()
  })
  try {
    await Promise.race([app.close(), cut])
  } finally {
    clearTimeout(timer)
    clearInterval(sweep)
  }
}
