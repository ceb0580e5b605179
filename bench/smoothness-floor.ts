/**
 * The smoothness a perfect generator would show at the server for the check-in profile: the
 * coefficient of variation of the count per 10 ms when the profile's two flows arrive at constant
 * rates (random phases), each visit sending its 4 requests back to back (80 µs apart), stamped
 * to the millisecond as nginx's $msec is. With `jitter` ms of uniform delay per visit and an
 * optional timer `tick` (each arrival leaves at the next tick), it shows what timer granularity
 * alone costs. No network: arithmetic, and for the last two lines this machine's own timer: a
 * `setTimeout(1)` loop recorded for 10 s, each arrival leaving at its first wake-up after the
 * arrival's time, as the engine's clock loop does (the floor a one-thread generator meets here,
 * for the check-in flows and for one GET per arrival). Pin it as the generator is pinned:
 *
 *   npx tsc -p . && taskset -c 0 node dist/bench/smoothness-floor.js [--rate 5000]
 */
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { createRng } from '../src/engine/rng.js'
import { checkinProfile, deriveRates } from '../src/profile/index.js'

const { values } = parseArgs({ options: { rate: { type: 'string', default: '5000' } } })
const RATE = Number(values.rate)
const profile = checkinProfile()
const scale = RATE / deriveRates(profile, 1).totalRps
interface Flow {
  visitsPerMs: number
  steps: number
}
const checkinFlows: readonly Flow[] = profile.flows.map((flow) => ({
  visitsPerMs: (flow.arrivalsPerMinute * scale) / 60_000,
  steps: flow.steps.length,
}))
const oneGet: readonly Flow[] = [{ visitsPerMs: RATE / 1000, steps: 1 }]
const rng = createRng(7)
const random = () => rng.next()

/** the first of the (sorted) wake-ups at or after t */
function nextWakeUp(wakeUps: Float64Array, t: number): number {
  let lo = 0
  let hi = wakeUps.length - 1
  if (wakeUps[hi]! < t) return t
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (wakeUps[mid]! < t) lo = mid + 1
    else hi = mid
  }
  return wakeUps[lo]!
}

function cv(jitterMs: number, tickMs: number, flows = checkinFlows, wakeUps?: Float64Array): number {
  const bins = new Float64Array(1000) // 10 s
  for (const flow of flows) {
    const gap = 1 / flow.visitsPerMs
    for (let t = random() * gap; t < 10_000; t += gap) {
      const at =
        wakeUps !== undefined ? nextWakeUp(wakeUps, t) : tickMs > 0 ? Math.ceil(t / tickMs) * tickMs : t
      const leaves = at + random() * jitterMs
      for (let k = 0; k < flow.steps; k++) {
        const bin = Math.floor(Math.round(leaves + k * 0.08) / 10)
        if (bin < 1000) bins[bin]!++
      }
    }
  }
  const steady = bins.subarray(100, 900)
  const mean = steady.reduce((a, b) => a + b, 0) / steady.length
  const sd = Math.sqrt(steady.reduce((a, b) => a + (b - mean) ** 2, 0) / steady.length)
  return sd / mean
}

const average = (f: () => number) => {
  let sum = 0
  for (let i = 0; i < 20; i++) sum += f()
  return sum / 20
}
console.log(`check-in profile at ${RATE} req/s: CV of the server's count per 10 ms (mean of 20 runs)`)
for (const [label, jitter, tick] of [
  ['perfect timing', 0, 0],
  ['uniform delay 0-0.5 ms', 0.5, 0],
  ['1 ms timer ticks', 0, 1],
  ['1.1 ms ticks + 0.3 ms jitter', 0.3, 1.1],
  ['uniform delay 0-2 ms', 2, 0],
] as const)
  console.log(`  ${label.padEnd(30)} ${average(() => cv(jitter, tick)).toFixed(3)}`)

/** A setTimeout(1) loop's wake-up times over `ms` (ms from its start). */
function recordWakeUps(ms: number): Promise<Float64Array> {
  const times: number[] = []
  const start = performance.now()
  return new Promise((resolve) => {
    const tick = () => {
      const t = performance.now() - start
      times.push(t)
      if (t < ms) setTimeout(tick, 1)
      else resolve(Float64Array.from(times))
    }
    setTimeout(tick, 1)
  })
}

const wakeUps = await recordWakeUps(10_000)
let over2 = 0
let over5 = 0
for (let i = 1; i < wakeUps.length; i++) {
  const gap = wakeUps[i]! - wakeUps[i - 1]!
  if (gap > 2) over2++
  if (gap > 5) over5++
}
console.log(
  `this machine's setTimeout(1) over 10 s: ${wakeUps.length} wake-ups, gaps > 2 ms ${(over2 / 10).toFixed(1)}/s, > 5 ms ${(over5 / 10).toFixed(1)}/s`,
)
const onThisMachine = (flows: readonly Flow[]) => average(() => cv(0, 0, flows, wakeUps))
console.log(`  ${'check-in flows, these wake-ups'.padEnd(30)} ${onThisMachine(checkinFlows).toFixed(3)}`)
console.log(`  ${'one GET per arrival, same'.padEnd(30)} ${onThisMachine(oneGet).toFixed(3)}`)
