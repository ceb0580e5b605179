/**
 * What the live page costs a run: `checkin-load run` against nginx with `--web` and one page's
 * event stream open (an SSE client reading every event) vs the same run without `--web`, paired:
 * each round runs both, in alternating order, and the difference is taken within the round.
 *
 *   1. max rate: constant arrivals asked far beyond what one process can do, in-flight cap 50,
 *      achieved req/s from the run's summary.json;
 *   2. at 5,000 req/s asked (constant arrivals): send lag p99 and achieved req/s.
 *
 * The bounds: the page open costs under 5% of the max rate and under 2 ms of send lag p99
 * at 5,000 req/s. nginx (1 worker) on CPU 1, checkin-load on CPU 0 (taskset), as bench/engine-max.
 *
 *   npx tsc -p . && node dist/bench/web-page.js [--rounds 5] [--seconds 20] [--rate 5000] [--json]
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { get } from 'node:http'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { checkinProfile, deriveRates } from '../src/profile/index.js'
import { freePort, type Nginx, startNginx } from './nginx.js'

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '20' },
    rate: { type: 'string', default: '5000' },
    json: { type: 'boolean', default: false },
  },
})
const ROUNDS = Number(values.rounds)
const SECONDS = Number(values.seconds)
const RATE = Number(values.rate)
const ROOT = resolve(import.meta.dirname, '..', '..')
const BIN = join(ROOT, 'bin/checkin-load.js')
const dir = mkdtempSync(join(tmpdir(), 'checkin-load-bench-web-'))
const totalRpsAt1x = deriveRates(checkinProfile(), 1).totalRps

interface RunResult {
  readonly achievedRps: number
  readonly sendLagP99Ms: number
  /** `second` events the page's stream delivered (0 without --web) */
  readonly events: number
}

/** One `checkin-load run`, pinned to CPU 0; with `web`, a page's event stream is read throughout. */
function runOnce(
  target: string,
  scale: number,
  maxInFlight: number,
  web: boolean,
  name: string,
): Promise<RunResult> {
  const args = [
    '-c',
    '0',
    process.execPath,
    BIN,
    'run',
    '--target',
    target,
    '--scale',
    String(scale),
    '--duration',
    `${SECONDS}s`,
    '--arrival',
    'constant',
    '--max-in-flight',
    String(maxInFlight),
    '--no-limits',
    '--no-default-slos',
    '--quiet',
    '--out',
    dir,
    '--run-id',
    name,
    ...(web ? ['--web', '--web-port', '0', '--web-linger', '0'] : []),
  ]
  return new Promise((done, fail) => {
    const child = spawn('taskset', args, { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    let events = 0
    let stream: ReturnType<typeof get> | undefined
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk
      const url = /(http:\/\/127\.0\.0\.1:\d+\/)\?token=([\w-]+)/.exec(stderr)
      if (web && url && !stream) {
        stream = get(`${url[1]}api/events?token=${url[2]}`, (res) => {
          // the page's work is the server's: read and count the seconds, as a page would receive them
          let tail = ''
          res.setEncoding('utf8')
          res.on('data', (text: string) => {
            const s = tail + text
            events += (s.match(/event: second\n/g) ?? []).length
            tail = s.slice(s.lastIndexOf('\n') + 1)
          })
          res.on('error', () => {})
        })
        stream.on('error', () => {})
      }
    })
    child.on('error', fail)
    child.on('close', (code) => {
      stream?.destroy()
      if (code !== 0 && code !== 99) return fail(new Error(`run exited ${code}: ${stderr.slice(-500)}`))
      const summary = JSON.parse(readFileSync(join(dir, name, 'summary.json'), 'utf8'))
      done({ achievedRps: summary.total.achievedRps, sendLagP99Ms: summary.total.sendLagMs.p99, events })
    })
  })
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const round2 = (x: number) => Math.round(x * 100) / 100

let nginx: Nginx | undefined
try {
  const port = await freePort()
  const statusPort = await freePort()
  nginx = await startNginx({ dir, port, statusPort, workerProcesses: 1, cpu: 1 })
  const target = `http://127.0.0.1:${port}`
  const pairs: { max: [RunResult, RunResult]; rate: [RunResult, RunResult] }[] = []
  for (let r = 1; r <= ROUNDS; r++) {
    // [plain, web]; the order alternates so that neither always runs first
    const order = r % 2 === 1 ? [false, true] : [true, false]
    const max: RunResult[] = []
    const rate: RunResult[] = []
    for (const web of order) {
      max[web ? 1 : 0] = await runOnce(
        target,
        100_000 / totalRpsAt1x,
        50,
        web,
        `max-${r}-${web ? 'web' : 'plain'}`,
      )
    }
    for (const web of order) {
      rate[web ? 1 : 0] = await runOnce(
        target,
        RATE / totalRpsAt1x,
        10_000,
        web,
        `rate-${r}-${web ? 'web' : 'plain'}`,
      )
    }
    const pair = { max: max as [RunResult, RunResult], rate: rate as [RunResult, RunResult] }
    pairs.push(pair)
    if (!values.json)
      console.log(
        `round ${r}: max ${Math.round(pair.max[0].achievedRps)} vs ${Math.round(pair.max[1].achievedRps)} req/s (web: ${pair.max[1].events} events); ` +
          `at ${RATE}/s lag p99 ${round2(pair.rate[0].sendLagP99Ms)} vs ${round2(pair.rate[1].sendLagP99Ms)} ms (web: ${pair.rate[1].events} events); load ${loadavg()[0]!.toFixed(2)}`,
      )
  }
  const maxCost = median(pairs.map((p) => 1 - p.max[1].achievedRps / p.max[0].achievedRps))
  const lagCost = median(pairs.map((p) => p.rate[1].sendLagP99Ms - p.rate[0].sendLagP99Ms))
  const result = {
    rounds: ROUNDS,
    seconds: SECONDS,
    maxRps: {
      plain: median(pairs.map((p) => p.max[0].achievedRps)),
      web: median(pairs.map((p) => p.max[1].achievedRps)),
    },
    maxRateCostPct: round2(maxCost * 100),
    sendLagP99Ms: {
      plain: median(pairs.map((p) => p.rate[0].sendLagP99Ms)),
      web: median(pairs.map((p) => p.rate[1].sendLagP99Ms)),
    },
    sendLagCostMs: round2(lagCost),
    withinBounds: maxCost < 0.05 && lagCost < 2,
  }
  if (values.json) console.log(JSON.stringify(result))
  else {
    console.log(
      `\nThe live page with one event stream open, ${ROUNDS} paired rounds of ${SECONDS} s, medians:`,
    )
    console.log('| | without --web | with --web, one page open | cost (median of the pairs) | bound |')
    console.log('|---|---|---|---|---|')
    console.log(
      `| max rate, req/s | ${Math.round(result.maxRps.plain)} | ${Math.round(result.maxRps.web)} | ${result.maxRateCostPct}% | < 5% |`,
    )
    console.log(
      `| send lag p99 at ${RATE} req/s, ms | ${result.sendLagP99Ms.plain} | ${result.sendLagP99Ms.web} | ${result.sendLagCostMs} ms | < 2 ms |`,
    )
    console.log(result.withinBounds ? 'within the bounds' : 'OVER a bound')
  }
} finally {
  await nginx?.stop()
  rmSync(dir, { recursive: true, force: true })
}
