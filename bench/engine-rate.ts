/**
 * One engine run against a target, printing one JSON line: asked and achieved rates, send lag
 * and latency percentiles, the generator's CPU. bench/engine-max.ts runs it pinned to a core,
 * side by side with the peers; it can also be run alone:
 *
 *   node dist/bench/engine-rate.js --rps 5000 --seconds 10 --target http://127.0.0.1:18080
 *   node dist/bench/engine-rate.js --rps 100000 --max-in-flight 50 --seconds 10   # max rate
 *
 * Flags: --rps (requests/s asked, all endpoints), --seconds, --target, --flows checkin|one,
 * --arrival constant|poisson, --max-in-flight, --connections, --no-warm-up.
 */
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { checkinVisitData } from '../src/checkin/index.js'
import { Engine } from '../src/engine/index.js'
import { warmUp } from '../src/engine/warmup.js'
import { Recorder } from '../src/metrics/index.js'
import { mergeEncoded } from '../src/model/histogram.js'
import type { SeriesSecond } from '../src/model/results.js'
import { checkinProfile, deriveRates, endpointIds } from '../src/profile/index.js'
import type { Profile } from '../src/profile/types.js'

const { values } = parseArgs({
  options: {
    rps: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '10' },
    target: { type: 'string', default: 'http://127.0.0.1:18080' },
    flows: { type: 'string', default: 'checkin' },
    arrival: { type: 'string', default: 'constant' },
    'max-in-flight': { type: 'string', default: '10000' },
    connections: { type: 'string' },
    'no-warm-up': { type: 'boolean', default: false },
  },
})
const rps = Number(values.rps)
const seconds = Number(values.seconds)
const arrival = values.arrival === 'poisson' ? 'poisson' : 'constant'

const profile: Profile =
  values.flows === 'one'
    ? {
        name: 'one',
        description: 'one GET',
        flows: [
          { name: 'one', arrivalsPerMinute: 60, steps: [{ endpoint: 'get', method: 'GET', path: '/x' }] },
        ],
      }
    : checkinProfile()
const scale = rps / deriveRates(profile, 1).totalRps
const endpoints = endpointIds(profile)
const data = checkinVisitData()
if (!values['no-warm-up'])
  await warmUp({ flows: profile.flows, endpoints, data, sink: new Recorder(endpoints) })

const recorder = new Recorder(endpoints)
const lines: SeriesSecond[] = []
const engine = new Engine({
  target: values.target,
  flows: profile.flows,
  endpoints,
  stages: [{ durationMs: seconds * 1000, target: 1 }],
  startShare: 1,
  scale,
  arrival,
  seed: 1,
  maxInFlight: Number(values['max-in-flight']),
  ...(values.connections !== undefined && { connections: Number(values.connections) }),
  timeoutMs: 10_000,
  data,
  sink: recorder,
  hooks: {
    onSecond: (t, share, inFlight) =>
      lines.push(recorder.fold(t, share, { eventLoopLagMsP99: 0, cpuPct: 0, rssMb: 0, inFlight })),
  },
})
const cpu0 = process.cpuUsage()
const rss0 = process.memoryUsage.rss()
const t0 = performance.now()
const result = await engine.run()
const elapsedS = (performance.now() - t0) / 1000
const cpu = process.cpuUsage(cpu0)

const all = lines.flatMap((line) => Object.values(line.endpoints))
const sum = (f: (e: (typeof all)[number]) => number) => all.reduce((a, e) => a + f(e), 0)
const lag = mergeEncoded(all.map((e) => e.sendLag))
const latency = mergeEncoded(all.map((e) => e.latency))
const ms = (us: number) => Math.round(us) / 1000
const requests = sum((e) => e.requests)
console.log(
  JSON.stringify({
    tool: 'checkin-load',
    flows: values.flows,
    arrival,
    askedRps: rps,
    seconds,
    asked: sum((e) => e.asked),
    requests,
    ok: sum((e) => e.ok),
    dropped: sum((e) => e.dropped),
    achievedRps: Math.round(requests / elapsedS),
    perSecond: lines.map((line) => Object.values(line.endpoints).reduce((a, e) => a + e.requests, 0)),
    sendLagMs: {
      p50: ms(lag.getValueAtPercentile(50)),
      p99: ms(lag.getValueAtPercentile(99)),
      max: ms(lag.maxValue),
    },
    latencyMs: {
      p50: ms(latency.getValueAtPercentile(50)),
      p99: ms(latency.getValueAtPercentile(99)),
      max: ms(latency.maxValue),
    },
    cpuPct: Math.round(((cpu.user + cpu.system) / 1000 / (elapsedS * 1000)) * 1000) / 10,
    rssMbStart: Math.round(rss0 / 1_048_576),
    rssMbEnd: Math.round(process.memoryUsage.rss() / 1_048_576),
    connections: result.connections,
  }),
)
