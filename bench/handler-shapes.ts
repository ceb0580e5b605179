/**
 * undici 7's two dispatch-handler shapes, measured: the legacy one (onConnect/onHeaders/onData/
 * onComplete/onError), which undici passes straight through, and the new one (onRequestStart/
 * onResponseStart/onResponseData/onResponseEnd/onResponseError), which undici wraps per request
 * in an adapter. Each round runs both for `seconds`, one after the other, 50 connections of
 * keep-alive GETs against a target (default: nginx from bench/engine-max.ts's config on :18080),
 * and prints requests per CPU-second (robust on a shared machine), medians over the rounds.
 *
 *   node dist/bench/handler-shapes.js [--target http://127.0.0.1:18080] [--seconds 3] [--rounds 5]
 */
import { parseArgs } from 'node:util'
import { Client, type Dispatcher } from 'undici'
import { LegacyLoop, median, requestsPerCpuSecond, type Tally } from './dispatch-loops.js'

const { values } = parseArgs({
  options: {
    target: { type: 'string', default: 'http://127.0.0.1:18080' },
    seconds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '5' },
  },
})
const SECONDS = Number(values.seconds)
const CONNECTIONS = 50

const GET: Dispatcher.DispatchOptions = { path: '/x', method: 'GET', headers: ['user-agent', 'bench'] }

/** undici 7's new handler shape, otherwise as LegacyLoop. */
class NewShape implements Dispatcher.DispatchHandler {
  private readonly opts = GET
  constructor(
    private readonly client: Client,
    private readonly loop: Tally,
  ) {}
  go(): void {
    this.client.dispatch(this.opts, this)
  }
  onRequestStart(): void {}
  onResponseStart(): void {}
  onResponseData(): void {}
  onResponseEnd(): void {
    this.loop.done++
    if (!this.loop.stop) queueMicrotask(() => this.go())
  }
  onResponseError(): void {}
}

async function measure(shape: 'legacy' | 'new'): Promise<number> {
  const clients = Array.from({ length: CONNECTIONS }, () => new Client(values.target, { pipelining: 1 }))
  const tally: Tally = { done: 0, stop: false }
  const loops = clients.map((client) =>
    shape === 'legacy' ? new LegacyLoop(client, tally, GET) : new NewShape(client, tally),
  )
  return requestsPerCpuSecond(loops, tally, SECONDS, () =>
    Promise.all(clients.map((client) => client.close().catch(() => {}))),
  )
}

const results: Record<'legacy' | 'new', number[]> = { legacy: [], new: [] }
for (let round = 0; round < Number(values.rounds); round++) {
  for (const shape of round % 2 === 0 ? (['legacy', 'new'] as const) : (['new', 'legacy'] as const)) {
    results[shape].push(await measure(shape))
  }
}
const legacy = median(results.legacy)
const fresh = median(results.new)
console.log(
  JSON.stringify({
    requestsPerCpuSecond: { legacy: Math.round(legacy), new: Math.round(fresh) },
    legacyOverNew: Math.round((legacy / fresh) * 1000) / 1000,
  }),
)
