/**
 * One engine run against a target, printing one JSON line: asked and achieved rates, send lag
 * and latency percentiles, the generator's CPU. bench/engine-max.ts runs it pinned to a core,
 * side by side with the peers; it can also be run alone:
 *
 *   node dist/bench/engine-rate.js --rps 5000 --seconds 10 --target http://127.0.0.1:18080
 *   node dist/bench/engine-rate.js --rps 100000 --max-in-flight 50 --seconds 10   # max rate
 *
 * Flags: --rps (requests/s asked, all endpoints), --seconds, --target, --flows checkin|one,
 * --arrival constant|poisson, --max-in-flight, --connections, --no-warm-up, and the live
 * exporters as `run` starts them: --prometheus-port N, --dogstatsd HOST:PORT.
 */
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { checkinVisitData } from '../src/checkin/index.js'
import { Engine, parseClock, parseTransport } from '../src/engine/index.js'
import { warmUp } from '../src/engine/warmup.js'
import {
  closeExporters,
  DeferredWork,
  exportersObserver,
  Recorder,
  startExporters,
  warmUpFolds,
} from '../src/metrics/index.js'
import { newHistogram } from '../src/model/histogram.js'
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
    'prometheus-port': { type: 'string' },
    dogstatsd: { type: 'string' },
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
// the HTTP client and the clock, from the environment as `run` takes them (engine-max sets CHECKIN_LOAD_CLOCK)
const transport = parseTransport(process.env.CHECKIN_LOAD_TRANSPORT)
const clock = parseClock(process.env.CHECKIN_LOAD_CLOCK)
if (!values['no-warm-up']) {
  // as `run` does: the engine, then the per-second fold (and this bench's own adds) on a throwaway recorder
  const warm = new Recorder(endpoints)
  await warmUp({ flows: profile.flows, endpoints, data, sink: warm, transport, clock })
  const sink = newHistogram()
  for (const folded of warmUpFolds(warm)) for (const h of folded.histograms.values()) sink.add(h.sendLag)
}

const exporters = await startExporters(
  {
    prometheusPort: values['prometheus-port'] === undefined ? undefined : Number(values['prometheus-port']),
    prometheusHost: '127.0.0.1',
    prometheusLingerMs: 0,
    dogstatsd: values.dogstatsd,
    tags: ['bench:engine-rate'],
  },
  {
    runId: 'bench',
    target: values.target,
    endpoints,
    methods: Object.fromEntries(deriveRates(profile, 1).endpoints.map((e) => [e.endpoint, e.method])),
    flows: profile.flows.map((flow) => ({
      name: flow.name,
      endpoints: flow.steps.map((step) => step.endpoint),
    })),
  },
)
const observer = exportersObserver(exporters, {
  rpsAtShare1: Object.fromEntries(deriveRates(profile, 1).endpoints.map((e) => [e.endpoint, e.rps])),
})
const recorder = new Recorder(endpoints)
// counts and histograms are summed second by second: nothing grows with the run's length
const totals = { asked: 0, requests: 0, ok: 0, dropped: 0 }
const perSecond: number[] = []
/** time spent in the exporters' per-second work */
let exportersMs = 0
const lag = newHistogram()
const latency = newHistogram()
/** RSS at the end of each whole minute of the run */
const rssMbPerMinute: number[] = []
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
  transport,
  clock,
  data,
  sink: recorder,
  hooks: {
    // as `run` does: the fold in the clock loop's tick, the histograms' encoding in pieces after it
    onSecond(t, share, inFlight) {
      deferred.flush()
      const folded = recorder.foldSecond(
        t,
        share,
        { eventLoopLagMsP99: 0, cpuPct: 0, rssMb: 0, inFlight },
        true,
      )
      let requests = 0
      for (const id in folded.second.endpoints) {
        const e = folded.second.endpoints[id]!
        totals.asked += e.asked
        totals.ok += e.ok
        totals.dropped += e.dropped
        requests += e.requests
      }
      totals.requests += requests
      perSecond.push(requests)
      if ((t + 1) % 60 === 0) rssMbPerMinute.push(Math.round(process.memoryUsage.rss() / 1_048_576))
      deferred.defer(...folded.encoding, () => {
        // what a run's summary does with them (lent until the next fold)
        for (const h of folded.histograms.values()) {
          if (h.sendLag.totalCount > 0) lag.add(h.sendLag)
          if (h.latency.totalCount > 0) latency.add(h.latency)
        }
      })
      if (exporters.length > 0)
        deferred.defer(() => {
          const start = performance.now()
          observer.onSecond?.(folded.second)
          exportersMs += performance.now() - start
        })
    },
  },
})
const deferred = new DeferredWork((error) => {
  throw error
})
const cpu0 = process.cpuUsage()
const rss0 = process.memoryUsage.rss()
const t0 = performance.now()
const result = await engine.run()
deferred.flush()
await closeExporters(exporters)
const elapsedS = (performance.now() - t0) / 1000
const cpu = process.cpuUsage(cpu0)

const ms = (us: number) => Math.round(us) / 1000
const requests = totals.requests
console.log(
  JSON.stringify({
    tool: 'checkin-load',
    flows: values.flows,
    arrival,
    askedRps: rps,
    seconds,
    asked: totals.asked,
    requests,
    ok: totals.ok,
    dropped: totals.dropped,
    achievedRps: Math.round(requests / elapsedS),
    perSecond,
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
    rssMbPerMinute,
    exportersMsPerSecond: Math.round((exportersMs / Math.max(1, perSecond.length)) * 100) / 100,
    connections: result.connections,
  }),
)
