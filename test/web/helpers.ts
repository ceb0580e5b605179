import { get, request } from 'node:http'
import { okHandler, startServer, type TestServer } from '../engine/helpers.js'

/** A loopback target that answers 200 to everything and notes when each request came. */
export async function startCountingServer(): Promise<{ target: TestServer; hits: number[] }> {
  const hits: number[] = []
  const target = await startServer((req, res) => {
    hits.push(Date.now())
    okHandler(req, res)
  })
  return { target, hits }
}

/**
 * The flags every steered run against a counting server shares: bare API calls (the server
 * answers no CORS preflight, and its count is the profile's), the page on a free port, no linger.
 */
export const COUNTED_RUN = {
  traffic: 'api',
  quiet: true,
  web: true,
  webPort: 0,
  webLingerMs: 0,
} as const

/** A test's view of the live server's answers. */
export interface Answer {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: string
}

export function call(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

export function control(
  base: string,
  token: string | undefined,
  body: unknown,
  headers: Record<string, string> = {},
) {
  return call(new URL('/api/control', base).href, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token !== undefined && { authorization: `Bearer ${token}` }),
      ...headers,
    },
    body: JSON.stringify(body),
  })
}

export interface SseEvent {
  readonly name: string
  readonly data: unknown
}

/** An open event stream: the events so far, and a way to wait for more. */
export interface EventStream {
  readonly events: SseEvent[]
  /** resolves once `predicate` holds for the events so far (rejects after timeoutMs) */
  until(predicate: (events: readonly SseEvent[]) => boolean, timeoutMs?: number): Promise<void>
  close(): void
}

export function openEvents(url: string, headers: Record<string, string> = {}): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    const events: SseEvent[] = []
    const waiters: (() => void)[] = []
    const req = get(url, { headers }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`status ${res.statusCode}`))
        res.resume()
        return
      }
      let buffer = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        buffer += chunk
        let end = buffer.indexOf('\n\n')
        while (end >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const name = /^event: (.*)$/m.exec(block)?.[1]
          const data = /^data: (.*)$/m.exec(block)?.[1]
          if (name !== undefined && data !== undefined) events.push({ name, data: JSON.parse(data) })
          end = buffer.indexOf('\n\n')
        }
        for (const w of waiters.splice(0)) w()
      })
      resolve({
        events,
        until(predicate, timeoutMs = 5000) {
          return new Promise((done, fail) => {
            const timer = setTimeout(
              () => fail(new Error(`timed out; events: ${events.map((e) => e.name).join(',')}`)),
              timeoutMs,
            )
            const check = () => {
              if (predicate(events)) {
                clearTimeout(timer)
                done()
              } else waiters.push(check)
            }
            check()
          })
        },
        close: () => req.destroy(),
      })
    })
    req.on('error', reject)
  })
}
