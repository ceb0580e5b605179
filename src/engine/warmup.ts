import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { deriveRates } from '../profile/derive.js'
import type { FlowSpec } from '../profile/types.js'
import { Engine } from './engine.js'
import type { RequestSink, VisitDataSource } from './types.js'

/**
 * Warms the process up before a run's time zero: the run's own flows, through the engine's own
 * code, against a throwaway server on 127.0.0.1 inside this process, for a fraction of a second.
 * No traffic reaches the target.
 *
 * Why: a cold process runs the hot path in V8's interpreter and compiles undici's HTTP parser on
 * its first connection. Started cold at a high rate, a run's first loop turns take tens of ms,
 * arrivals pile up, and since a connection serves one request per loop turn, each extra waiting
 * request needs its own connection: hundreds of connections and a 100+ ms stall in the first
 * second (measured at 5000 req/s). Warmed up, the first second looks like the others.
 */
export interface WarmUpOptions {
  readonly flows: readonly FlowSpec[]
  readonly endpoints: readonly string[]
  readonly data?: VisitDataSource
  /** a throwaway sink of the same class as the run's (so the same code gets compiled) */
  readonly sink: RequestSink
  readonly durationMs?: number
  /** requests per second asked during the warm-up */
  readonly rps?: number
}

export async function warmUp(options: WarmUpOptions): Promise<void> {
  const flows = options.flows.filter((flow) => flow.arrivalsPerMinute > 0)
  const perSecond = deriveRates({ name: 'warm-up', description: '', flows }, 1).totalRps
  if (flows.length === 0 || perSecond <= 0) return
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'warm_up=1; Path=/; HttpOnly' })
      res.end('{"ok":true}')
    })
  })
  server.keepAliveTimeout = 5000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  try {
    const { port } = server.address() as AddressInfo
    const durationMs = options.durationMs ?? 400
    const engine = new Engine({
      target: `http://127.0.0.1:${port}`,
      flows,
      endpoints: options.endpoints,
      stages: [{ durationMs, target: 1 }],
      startShare: 1,
      scale: (options.rps ?? 3000) / perSecond,
      arrival: 'constant',
      seed: 0,
      maxInFlight: 1000,
      connections: 64,
      timeoutMs: 2000,
      drainTimeoutMs: 500,
      ...(options.data !== undefined && { data: options.data }),
      sink: options.sink,
    })
    await engine.run()
  } finally {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
