/**
 * The smoothness a perfect generator would show at the server for the check-in profile: the
 * coefficient of variation of the count per 10 ms when the profile's two flows arrive at constant
 * rates (random phases), each visit sending its 4 requests back to back (80 µs apart), stamped
 * to the millisecond as nginx's $msec is. With `jitter` ms of uniform delay per visit and an
 * optional timer `tick` (each arrival leaves at the next tick), it shows what timer granularity
 * alone costs. No network: arithmetic only.
 *
 *   npx tsc -p . && node dist/bench/smoothness-floor.js [--rate 5000]
 */
import { parseArgs } from 'node:util'
import { createRng } from '../src/engine/rng.js'
import { checkinProfile, deriveRates } from '../src/profile/index.js'

const { values } = parseArgs({ options: { rate: { type: 'string', default: '5000' } } })
const RATE = Number(values.rate)
const profile = checkinProfile()
const scale = RATE / deriveRates(profile, 1).totalRps
const flows = profile.flows.map((flow) => ({
  visitsPerMs: (flow.arrivalsPerMinute * scale) / 60_000,
  steps: flow.steps.length,
}))
const rng = createRng(7)
const random = () => rng.next()

function cv(jitterMs: number, tickMs: number): number {
  const bins = new Float64Array(1000) // 10 s
  for (const flow of flows) {
    const gap = 1 / flow.visitsPerMs
    for (let t = random() * gap; t < 10_000; t += gap) {
      const leaves = (tickMs > 0 ? Math.ceil(t / tickMs) * tickMs : t) + random() * jitterMs
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
