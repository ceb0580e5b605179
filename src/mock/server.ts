import { rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { buildMockApp } from './app.js'
import type { MockOptions } from './options.js'
import { makeStandInCertificate } from './tls.js'

export interface MockServerOptions extends MockOptions {
  /** default 127.0.0.1 */
  readonly host?: string
  /** default 3000; 0 = a free port */
  readonly port?: number
  /** how long close() waits for requests in flight before cutting connections, ms (default 10 s) */
  readonly closeTimeoutMs?: number
  /** serve HTTPS with a certificate made at start (its CA in `caPath`) */
  readonly tls?: boolean
  /** where the certificate's ca.pem, cert.pem and key.pem go (default: a temporary folder, removed at close) */
  readonly tlsDir?: string
}

export interface MockServer {
  /** http://HOST:PORT (https:// with tls), with the port actually bound */
  readonly url: string
  /** with tls: the PEM file of the CA that signed the stand-in's certificate (for `run --ca`) */
  readonly caPath?: string
  readonly app: FastifyInstance
  /** Stops accepting, lets requests in flight finish (up to closeTimeoutMs), then cuts the rest. */
  close(): Promise<void>
}

export const DEFAULT_CLOSE_TIMEOUT_MS = 10_000

/** The stand-in listening in this process. */
export async function startMockServer(opts: MockServerOptions = {}): Promise<MockServer> {
  const certificate = opts.tls ? await makeStandInCertificate(opts.tlsDir) : undefined
  // a folder we made is ours to remove; one the caller named is theirs
  const removeCertificate = () => {
    if (certificate !== undefined && opts.tlsDir === undefined) {
      rmSync(certificate.dir, { recursive: true, force: true })
    }
  }
  const app = buildMockApp(opts, certificate && { key: certificate.key, cert: certificate.cert })
  const host = opts.host ?? '127.0.0.1'
  try {
    await app.listen({ host, port: opts.port ?? 3000 })
  } catch (error) {
    removeCertificate()
    throw error
  }
  const address = app.server.address() as AddressInfo
  const scheme = certificate ? 'https' : 'http'
  const url = `${scheme}://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= closeWithin(app, opts.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS).finally(removeCertificate)
    return closing
  }
  return { url, app, close, ...(certificate && { caPath: certificate.caPath }) }
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
