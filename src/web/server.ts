import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ControlSource } from '../model/results.js'
import { bearerToken, isCrossOrigin, newToken, sameToken } from './auth.js'
import { applyControl, ControlRefused, type LoadControl, parseControlRequest } from './control.js'
import type { LiveFeed } from './live-feed.js'
import { renderLivePage } from './page.js'
import { SseClient } from './sse.js'

export const DEFAULT_WEB_PORT = 5665
export const DEFAULT_WEB_HOST = '127.0.0.1'

export interface WebServerOptions {
  /** default 127.0.0.1: only this machine (reach it from elsewhere through an SSH tunnel) */
  readonly host?: string
  /** default 5665; 0 takes a free port */
  readonly port?: number
  /** default: a new random one */
  readonly token?: string
  readonly feed: LiveFeed
  /** absent: the page only watches */
  readonly control?: LoadControl
  /** SSE keep-alive comment interval (default 15 s) */
  readonly pingMs?: number
}

export interface WebServer {
  /** the server's base URL, e.g. http://127.0.0.1:5665/ */
  readonly url: string
  /** the page's URL with its token: what the terminal prints */
  readonly pageUrl: string
  readonly token: string
  /** pages (event streams) open now */
  readonly clients: number
  /** ends every event stream and closes the server */
  close(): Promise<void>
}

const MAX_BODY_BYTES = 4096

/**
 * The live page's HTTP server (node:http):
 *
 *   GET  /              the page (needs ?token=)
 *   GET  /api/events    server-sent events (?token= or a bearer header): hello, second, control, step, end
 *   GET  /api/state     the hello event's JSON, for scripts
 *   POST /api/control   `Authorization: Bearer <token>`, JSON {"scale": x} or {"action": "pause"|"resume"|"stop"}
 *   GET  /report        the final report, once the run has ended
 *
 * Refused: a request whose Origin is not the page's own (403), a method a route does not take
 * (405: a GET can never change anything), a missing or wrong token (401).
 */
export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const token = options.token ?? newToken()
  const { feed, control } = options
  const clients = new Set<SseClient>()
  const unsubscribe = feed.subscribe((event) => {
    for (const client of clients) {
      client.send(event)
      if (client.isClosed) clients.delete(client)
    }
  })
  let page: string | undefined

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) send(response, 500, { error: (error as Error).message })
      else response.destroy()
    })
  })

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost')
    const route = ROUTES[url.pathname]
    if (route === undefined) return send(response, 404, { error: 'not found' })
    if (isCrossOrigin(request))
      return send(response, 403, { error: "a request from another origin than the page's own is refused" })
    if (request.method !== route && !(route === 'GET' && request.method === 'HEAD')) {
      response.setHeader('allow', route === 'GET' ? 'GET, HEAD' : route)
      return send(response, 405, {
        error:
          route === 'POST'
            ? `${url.pathname} changes the load: only POST, with the token as a bearer header`
            : `${url.pathname} takes GET only`,
      })
    }
    const readToken = url.searchParams.get('token') ?? bearerToken(request)
    switch (url.pathname) {
      case '/':
        if (!sameToken(readToken, token)) return sendText(response, 401, UNAUTHORISED_PAGE, 'text/html')
        page ??= renderLivePage()
        return sendText(response, 200, page, 'text/html')
      case '/api/events': {
        if (!sameToken(readToken, token))
          return send(response, 401, { error: 'the token is missing or wrong' })
        const client = new SseClient(response)
        client.send(feed.helloEvent())
        clients.add(client)
        request.on('close', () => clients.delete(client))
        return
      }
      case '/api/state':
        if (!sameToken(readToken, token))
          return send(response, 401, { error: 'the token is missing or wrong' })
        return send(response, 200, feed.hello())
      case '/report': {
        if (!sameToken(readToken, token))
          return send(response, 401, { error: 'the token is missing or wrong' })
        const report = feed.finalReport()
        if (report === undefined)
          return send(response, 404, { error: 'the final report comes when the run ends' })
        return sendText(response, 200, report, 'text/html')
      }
      case '/api/control':
        return controlRequest(request, response)
    }
  }

  async function controlRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!sameToken(bearerToken(request), token))
      return send(response, 401, { error: 'steering needs the header "Authorization: Bearer <token>"' })
    if (!control) return send(response, 409, { error: 'this page only watches: nothing to steer' })
    const type = request.headers['content-type'] ?? ''
    if (!/^application\/json\b/i.test(type))
      return send(response, 415, { error: 'the body must be JSON (content-type: application/json)' })
    let body: unknown
    try {
      body = JSON.parse(await readBody(request))
    } catch (error) {
      return send(response, 400, { error: `the body is not JSON: ${(error as Error).message}` })
    }
    const who: ControlSource = request.headers['x-control-source'] === 'web' ? 'web' : 'api'
    try {
      const change = applyControl(control, parseControlRequest(body), who)
      return send(response, 200, { ok: true, change, control: control.state() })
    } catch (error) {
      if (error instanceof ControlRefused) return send(response, error.status, { error: error.message })
      throw error
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? DEFAULT_WEB_PORT, options.host ?? DEFAULT_WEB_HOST, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const pingTimer = setInterval(() => {
    for (const client of clients) client.ping()
  }, options.pingMs ?? 15_000)
  pingTimer.unref()
  const address = server.address() as AddressInfo
  const url = `http://${hostForUrl(address.address)}:${address.port}/`
  return {
    url,
    pageUrl: `${url}?token=${token}`,
    token,
    get clients() {
      return clients.size
    },
    async close() {
      clearInterval(pingTimer)
      unsubscribe()
      for (const client of clients) client.close()
      clients.clear()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}

const ROUTES: Readonly<Record<string, 'GET' | 'POST'>> = {
  '/': 'GET',
  '/api/events': 'GET',
  '/api/state': 'GET',
  '/report': 'GET',
  '/api/control': 'POST',
}

/** A wildcard address is reached as loopback from this machine; IPv6 in brackets. */
function hostForUrl(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1'
  if (address === '::') return '[::1]'
  return address.includes(':') ? `[${address}]` : address
}

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  // the page's URL holds the token: never sent on as a referrer
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const

function send(response: ServerResponse, status: number, body: unknown): void {
  sendText(response, status, `${JSON.stringify(body)}\n`, 'application/json')
}

function sendText(response: ServerResponse, status: number, text: string, type: string): void {
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': `${type}; charset=utf-8`,
    'content-length': Buffer.byteLength(text),
    ...(type === 'text/html' && {
      'content-security-policy':
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; frame-ancestors 'none'",
    }),
  })
  response.end(text)
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`over ${MAX_BODY_BYTES} bytes`))
        request.destroy()
        return
      }
      chunks.push(chunk)
    })
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    request.on('error', reject)
  })
}

const UNAUTHORISED_PAGE = `<!doctype html><html lang="en"><meta charset="utf-8"><title>checkin-load: token needed</title>
<body style="font-family: system-ui, sans-serif; margin: 40px"><h1>checkin-load live page</h1>
<p>This page needs its token: open the URL <code>checkin-load</code> printed on the terminal, which ends in <code>?token=…</code>.</p></body></html>`
