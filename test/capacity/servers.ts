import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Profile } from '../../src/profile/types.js'

/**
 * A target of known capacity: a node:http server on 127.0.0.1 that serves `workers` requests at a
 * time, each for `serviceMs`, and queues the rest (FIFO, unbounded). It holds at most
 * workers x 1000 / serviceMs requests a second; beyond that its queue, and latency, grow without
 * bound, as a thread pool's does.
 */
export interface LimitedServer {
  readonly url: string
  /** requests a second it holds at most */
  readonly capacityRps: number
  /** most requests seen queued at once */
  readonly maxQueued: () => number
  close(): Promise<void>
}

export async function startLimitedServer(workers: number, serviceMs: number): Promise<LimitedServer> {
  let busy = 0
  let maxQueued = 0
  const queue: ServerResponse[] = []
  const serve = (res: ServerResponse) => {
    busy++
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"ok":true}')
      busy--
      const next = queue.shift()
      if (next) serve(next)
    }, serviceMs)
  }
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      if (busy < workers) serve(res)
      else {
        queue.push(res)
        maxQueued = Math.max(maxQueued, queue.length)
      }
    })
  })
  server.keepAliveTimeout = 30_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    capacityRps: (workers * 1000) / serviceMs,
    maxQueued: () => maxQueued,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A profile of one one-request flow: `rps` requests a second of GET /work at 1x. */
export function oneRequestProfile(rps: number): Profile {
  return {
    name: 'one-request',
    description: 'one GET a visit',
    flows: [
      {
        name: 'work',
        arrivalsPerMinute: rps * 60,
        steps: [{ endpoint: 'work', method: 'GET', path: '/work' }],
      },
    ],
  }
}
