import { type AddressInfo, createServer, type Socket } from 'node:net'
import { deriveRates } from '../profile/derive.js'
import type { FlowSpec } from '../profile/types.js'
import type { ClockKind } from './clock.js'
import { Engine } from './engine.js'
import type { Transport } from './transports/index.js'
import type { RequestSink, VisitDataSource } from './types.js'

/**
 * Warms the process up before a run's time zero: the run's own flows, through the engine's own
 * code, against a throwaway server on 127.0.0.1 inside this process, for a fraction of a second.
 * No traffic reaches the target.
 *
 * Why: a cold process runs the hot path in V8's interpreter and compiles the transport's HTTP parser
 * on its first connection. Started cold at a high rate, a run's first loop turns take tens of ms,
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
  /** the run's HTTP client and clock (so their code gets compiled); default `raw` and `timer` */
  readonly transport?: Transport
  readonly clock?: ClockKind
}

/**
 * Asked far above what the process can do (the excess is dropped, counted by the throwaway sink):
 * the warm-up runs flat out, and its ~0.4 s sends enough requests for V8 to optimise the hot
 * path (TurboFan) before time zero. At 3000 req/s most of the engine's functions were still
 * unoptimised at time zero: their compiling then took half the core for the run's first 200–300 ms,
 * and at 5000 req/s each send cost 5x its steady-state CPU (send lag p99 23–37 ms over 2 s runs,
 * against 4–11 ms warmed at this rate; `--trace-opt`, main thread's schedstat).
 */
const WARM_UP_RPS = 20_000

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
      scale: (options.rps ?? WARM_UP_RPS) / perSecond,
      arrival: 'constant',
      seed: 0,
      maxInFlight: 1000,
      connections: 64,
      timeoutMs: 2000,
      drainTimeoutMs: 500,
      ...(options.data !== undefined && { data: options.data }),
      ...(options.transport !== undefined && { transport: options.transport }),
      ...(options.clock !== undefined && { clock: options.clock }),
      sink: options.sink,
    })
    await engine.run()
  } finally {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

/**
 * The answers, in turn: what the engine will meet in the run (a stand-in's fastify, nginx, Rails
 * behind a proxy) as far as its parser's branches go: lower- and capitalised names, Date and
 * Server, `Connection: keep-alive` (a run's first answers with it used to de-optimise the parser,
 * recompiled then for ~30 ms on the run's own core), cookies.
 */
const ANSWERS = [
  'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nset-cookie: warm_up=1; Path=/; HttpOnly\r\ncontent-length: 11\r\n\r\n{"ok":true}',
  'HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Fri, 27 Nov 2026 10:00:00 GMT\r\nContent-Type: application/json\r\nContent-Length: 11\r\nConnection: keep-alive\r\n\r\n{"ok":true}',
  'HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: 11\r\nDate: Fri, 27 Nov 2026 10:00:00 GMT\r\nConnection: keep-alive\r\nKeep-Alive: timeout=72\r\n\r\n{"ok":true}',
].map((answer) => Buffer.from(answer, 'latin1'))
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
  let answered = 0
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    for (;;) {
      const headEnd = pending.indexOf(HEAD_END)
      if (headEnd < 0) return
      const length = Number(CONTENT_LENGTH.exec(pending.toString('latin1', 0, headEnd))?.[1] ?? 0)
      const end = headEnd + 4 + length
      if (pending.length < end) return
      pending = pending.subarray(end)
      socket.write(ANSWERS[answered++ % ANSWERS.length]!)
    }
  })
}
