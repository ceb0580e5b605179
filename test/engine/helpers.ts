import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { EngineOptions } from '../../src/engine/index.js'
import { Engine, parseClock, parseTransport } from '../../src/engine/index.js'
import { Recorder } from '../../src/metrics/index.js'
import type { ERROR_KINDS } from '../../src/model/error-kinds.js'
import { mergeEncoded } from '../../src/model/histogram.js'
import type { SeriesSecond } from '../../src/model/results.js'
import type { FlowSpec, StepSpec } from '../../src/profile/types.js'

/** A node:http server on 127.0.0.1, port 0; close() also ends keep-alive sockets. */
export interface TestServer {
  readonly url: string
  readonly port: number
  readonly server: Server
  close(): Promise<void>
}

export async function startServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  port = 0,
): Promise<TestServer> {
  const server = createServer(handler)
  server.keepAliveTimeout = 30_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  const actual = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Answers 200 {"ok":true} to everything (after reading the body). */
export function okHandler(req: IncomingMessage, res: ServerResponse): void {
  req.resume()
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end('{"ok":true}')
  })
}

export function oneStepFlow(arrivalsPerMinute: number, step: Partial<StepSpec> = {}): FlowSpec {
  return {
    name: 'one',
    arrivalsPerMinute,
    steps: [{ endpoint: 'ping', method: 'GET', path: '/ping', ...step }],
  }
}

export interface Totals {
  asked: number
  requests: number
  ok: number
  dropped: number
  errors: Partial<Record<(typeof ERROR_KINDS)[number], number>>
  status: Record<string, number>
  latency: string[]
  latencyFromSend: string[]
  sendLag: string[]
}

/** Per endpoint totals over all seconds. */
export function totals(seconds: readonly SeriesSecond[], endpoint: string): Totals {
  const out: Totals = {
    asked: 0,
    requests: 0,
    ok: 0,
    dropped: 0,
    errors: {},
    status: {},
    latency: [],
    latencyFromSend: [],
    sendLag: [],
  }
  for (const second of seconds) {
    const e = second.endpoints[endpoint]
    if (!e) continue
    out.asked += e.asked
    out.requests += e.requests
    out.ok += e.ok
    out.dropped += e.dropped
    for (const [k, v] of Object.entries(e.errors)) {
      const kind = k as keyof Totals['errors']
      out.errors[kind] = (out.errors[kind] ?? 0) + (v ?? 0)
    }
    for (const [k, v] of Object.entries(e.status)) out.status[k] = (out.status[k] ?? 0) + v
    out.latency.push(e.latency)
    out.latencyFromSend.push(e.latencyFromSend)
    out.sendLag.push(e.sendLag)
  }
  return out
}

export const pctMs = (encoded: readonly string[], p: number) =>
  mergeEncoded(encoded).getValueAtPercentile(p) / 1000

/** Runs the engine with a Recorder; returns the result and every second line. */
export async function runEngine(
  options: Omit<EngineOptions, 'sink' | 'hooks' | 'endpoints'> & { endpoints?: readonly string[] },
  during?: (engine: Engine) => void,
) {
  const endpoints = options.endpoints ?? [
    ...new Set(options.flows.flatMap((flow) => flow.steps.map((step) => step.endpoint))),
  ]
  const recorder = new Recorder(endpoints)
  const seconds: SeriesSecond[] = []
  const engine = new Engine({
    // the engine's tests pass on either transport and clock: CHECKIN_LOAD_TRANSPORT=undici or
    // CHECKIN_LOAD_CLOCK=precise in the tests' environment runs them there
    transport: parseTransport(process.env.CHECKIN_LOAD_TRANSPORT),
    clock: parseClock(process.env.CHECKIN_LOAD_CLOCK),
    ...options,
    endpoints,
    sink: recorder,
    hooks: {
      onSecond: (t, share, inFlight) =>
        seconds.push(recorder.fold(t, share, { eventLoopLagMsP99: 0, cpuPct: 0, rssMb: 0, inFlight })),
    },
  })
  during?.(engine)
  const result = await engine.run()
  return { result, seconds, engine }
}
