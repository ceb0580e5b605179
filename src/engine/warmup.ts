import { type AddressInfo, createServer, type Socket } from 'node:net'
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
  const sockets = new Set<Socket>()
  const server = createServer((socket) => answerEveryRequest(socket, sockets))
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
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

const ANSWER = Buffer.from(
  'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nset-cookie: warm_up=1; Path=/; HttpOnly\r\ncontent-length: 11\r\n\r\n{"ok":true}',
  'latin1',
)
const HEAD_END = Buffer.from('\r\n\r\n')
const CONTENT_LENGTH = /\r\ncontent-length:\s*(\d+)/i
/**
 * The throwaway server: the same answer to every request, read just enough to know where each
 * ends (head, then content-length bytes). A plain socket, not node:http, whose own warm-up cost
 * more CPU than the engine's.
 */
function answerEveryRequest(socket: Socket, sockets: Set<Socket>): void {
  sockets.add(socket)
  socket.on('close', () => sockets.delete(socket))
  socket.on('error', () => {})
  let pending: Buffer = Buffer.alloc(0)
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    for (;;) {
      const headEnd = pending.indexOf(HEAD_END)
      if (headEnd < 0) return
      const length = Number(CONTENT_LENGTH.exec(pending.toString('latin1', 0, headEnd))?.[1] ?? 0)
      const end = headEnd + 4 + length
      if (pending.length < end) return
      pending = pending.subarray(end)
      socket.write(ANSWER)
    }
  })
}
