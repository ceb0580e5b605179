/**
 * `run --workers 2` vs one process, flat out against nginx on this machine: does a second worker
 * process add a second core's worth of requests? Both variants are the real command
 * (`checkin-load run`, one-step GET profile, constant arrivals asked far beyond what it can do,
 * in-flight cap 128 for the whole run: 64 per worker with 2), round-robin, R rounds, medians.
 *
 * The rate is read from the run's own series.ndjson: requests completed per second over the
 * steady seconds (the first and the last, partial one left out); nginx's own counter (stub_status)
 * over the same run checks it. CPU: the run's processes (parent, workers) from /usr/bin/time, and
 * nginx's from /proc.
 *
 * A control runs before and after: two busy loops at once, and the CPU each got. Two workers can
 * beat one only when the machine really gives two processes a core each.
 *
 * nginx shares the 2 cores with the generator, and nginx costs CPU per request too, so the ratio
 * is bounded by the machine, not only by checkin-load: with nginx at S CPU-µs and the generator at
 * G CPU-µs per request, one worker on its own core reaches 1/G, two workers at most 2/(G+S). The
 * "per generator CPU-second" column shows whether a worker is as efficient as a single process.
 *
 *   npx tsc -p . && node dist/bench/workers.js [--seconds 10] [--rounds 3] [--nginx-workers 2]
 *                                                [--in-flight 128] [--pin] [--nice=N] [--json]
 *
 * --pin: nginx (worker_processes 1) on CPU 1; the default is unpinned: nginx with --nginx-workers
 * processes, every process free to move (two workers need both cores, so nginx cannot have one).
 * --nice=N: run nginx and checkin-load at niceness N (as root, -10 gets them the cores on a
 * machine other people's tests keep busy; the load average is printed either way).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { readSeries } from '../src/report/index.js'
import { freePort, nginxRequests, startNginx } from './nginx.js'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    'nginx-workers': { type: 'string', default: '2' },
    'in-flight': { type: 'string', default: '128' },
    rate: { type: 'string', default: '200000' },
    pin: { type: 'boolean', default: false },
    nice: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
})
const SECONDS = Number(values.seconds)
const ROUNDS = Number(values.rounds)
const IN_FLIGHT = Number(values['in-flight'])
const RATE = Number(values.rate)
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const BIN = join(ROOT, 'bin/checkin-load.js')
/** --nice N: every process of the benchmark (nginx, checkin-load) at niceness N */
const NICE = values.nice !== undefined ? ['nice', '-n', values.nice] : []
const PORT = await freePort()
const STATUS_PORT = await freePort()

const dir = mkdtempSync(join(tmpdir(), 'checkin-load-bench-workers-'))
const profile = join(dir, 'one-get.yaml')
// one flow of one GET: 60 arrivals a minute at scale 1, so --scale N asks N req/s
writeFileSync(
  profile,
  `name: one-get
description: one GET per flow (max-rate benchmark)
flows:
  - name: one
    arrivalsPerMinute: 60
    steps:
      - endpoint: get
        method: GET
        path: /x
`,
)

interface Measured {
  workers: number
  /** requests completed per second over the steady seconds, from the run's series */
  rps: number
  /** nginx's count over the whole run (boot, warm-up excluded: only the run's requests reach it) / steady seconds */
  nginxRequests: number
  runRequests: number
  /** CPU-seconds of the run's processes (parent + workers), over its whole life */
  cpuS: number
  /** CPU of the generator processes (every worker's, added) over the steady seconds, % of one core */
  generatorCpuPct: number
  nginxCpuPct: number
  wallS: number
  /** the machine's 1-minute load average before the run (other users of the 2 cores) */
  loadBefore: number
}

function runOnce(workers: number, round: number): Promise<{ cpuS: number; wallS: number; runDir: string }> {
  const runId = `w${workers}-r${round}`
  const args = [
    '-f',
    'TIME %e %U %S %x',
    process.execPath,
    BIN,
    'run',
    '--target',
    `http://127.0.0.1:${PORT}`,
    '--profile',
    profile,
    '--scale',
    String(RATE),
    '--duration',
    `${SECONDS}s`,
    '--arrival',
    'constant',
    '--max-in-flight',
    String(IN_FLIGHT),
    '--connections',
    String(IN_FLIGHT),
    '--timeout',
    '5s',
    '--no-limits',
    '--no-default-slos',
    '--quiet',
    '--workers',
    String(workers),
    '--out',
    dir,
    '--run-id',
    runId,
  ]
  return new Promise((resolve, reject) => {
    const [command, ...rest] = [...NICE, '/usr/bin/time', ...args]
    const child = spawn(command!, rest, { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    const guard = setTimeout(() => child.kill('SIGKILL'), (SECONDS + 120) * 1000)
    child.on('error', reject)
    child.on('close', () => {
      clearTimeout(guard)
      const match = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(stderr)
      if (match?.[4] !== '0') {
        return reject(new Error(`run --workers ${workers} failed: ${stderr.slice(-1500)}`))
      }
      resolve({
        wallS: Number(match[1]),
        cpuS: Number(match[2]) + Number(match[3]),
        runDir: join(dir, runId),
      })
    })
  })
}

/** The steady seconds of a series (between the first and the last, partial, one) and its total. */
async function steadySeconds(
  seriesDir: string,
): Promise<{ seconds: Map<number, { requests: number; cpuPct: number }>; requests: number }> {
  const seconds = new Map<number, { requests: number; cpuPct: number }>()
  let requests = 0
  for await (const line of readSeries(join(seriesDir, 'series.ndjson'))) {
    if (line.type !== 'second') continue
    const n = Object.values(line.endpoints).reduce((sum, e) => sum + e.requests, 0)
    requests += n
    if (line.t >= 1 && line.t < SECONDS) seconds.set(line.t, { requests: n, cpuPct: line.generator.cpuPct })
  }
  return { seconds, requests }
}

/**
 * Steady-state rate from the run's series; the generator's CPU from each worker's own series
 * (a merged second keeps the worst worker's CPU, not the sum).
 */
async function steady(
  runDir: string,
  runId: string,
  workers: number,
): Promise<{ rps: number; requests: number; cpuPct: number }> {
  const run = await steadySeconds(runDir)
  const parts =
    workers === 1
      ? [run]
      : await Promise.all(
          Array.from({ length: workers }, (_, i) => steadySeconds(join(runDir, 'shards', String(i), runId))),
        )
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)
  const cpu = [...run.seconds.keys()].map((t) =>
    parts.reduce((sum, p) => sum + (p.seconds.get(t)?.cpuPct ?? 0), 0),
  )
  return {
    rps: Math.round(mean([...run.seconds.values()].map((s) => s.requests))),
    requests: run.requests,
    cpuPct: Math.round(mean(cpu)),
  }
}

/**
 * The control: how much CPU this machine gives two busy processes at once (% of one core each).
 * Two workers can only beat one if this is near 2 x 100 %: on a shared or throttled machine it is
 * not, whatever the load generator does.
 */
async function parallelCpu(): Promise<number[]> {
  const spin = `const t0 = Date.now(), c0 = process.cpuUsage(); let x = 0
while (Date.now() - t0 < 3000) x++
const c = process.cpuUsage(c0); console.log(Math.round((c.user + c.system) / 30000))`
  const one = () =>
    new Promise<number>((resolve, reject) => {
      const [command, ...rest] = [...NICE, process.execPath, '-e', spin]
      const child = spawn(command!, rest, { stdio: ['ignore', 'pipe', 'ignore'] })
      let out = ''
      child.stdout.on('data', (chunk) => {
        out += chunk
      })
      child.on('error', reject)
      child.on('close', () => resolve(Number(out.trim())))
    })
  return Promise.all([one(), one()])
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

const nginx = await startNginx({
  dir,
  port: PORT,
  statusPort: STATUS_PORT,
  workerProcesses: values.pin ? 1 : Number(values['nginx-workers']),
  ...(values.pin && { cpu: 1 }),
  ...(values.nice !== undefined && { nice: Number(values.nice) }),
})
const results: Measured[] = []
const controls: number[][] = []
try {
  controls.push(await parallelCpu())
  for (let round = 0; round < ROUNDS; round++) {
    for (const workers of [1, 2]) {
      const loadBefore = Math.round(loadavg()[0]! * 10) / 10
      const before = await nginxRequests(STATUS_PORT)
      const cpuBefore = nginx.cpuSeconds()
      const ran = await runOnce(workers, round)
      const served = (await nginxRequests(STATUS_PORT)) - before - 1 // the status request itself
      const nginxCpu = nginx.cpuSeconds() - cpuBefore
      const s = await steady(ran.runDir, `w${workers}-r${round}`, workers)
      const m: Measured = {
        workers,
        rps: s.rps,
        nginxRequests: served,
        runRequests: s.requests,
        cpuS: ran.cpuS,
        generatorCpuPct: s.cpuPct,
        nginxCpuPct: Math.round((nginxCpu / ran.wallS) * 100),
        wallS: ran.wallS,
        loadBefore,
      }
      results.push(m)
      if (!values.json) {
        process.stderr.write(
          `round ${round + 1} workers ${workers}: ${m.rps} req/s (run ${m.runRequests} requests, nginx counted ${m.nginxRequests}), cpu ${m.cpuS.toFixed(1)} s over ${m.wallS.toFixed(1)} s wall, generator ${m.generatorCpuPct}% of a core (workers added), nginx ${m.nginxCpuPct}%, load average ${m.loadBefore} before\n`,
        )
      }
      rmSync(ran.runDir, { recursive: true, force: true })
    }
  }
  controls.push(await parallelCpu())
} finally {
  await nginx.stop()
  rmSync(dir, { recursive: true, force: true })
}

const of = (workers: number) => results.filter((r) => r.workers === workers)
const summary = [1, 2].map((workers) => {
  const rs = of(workers)
  return {
    workers,
    rps: median(rs.map((r) => r.rps)),
    countsMatch: rs.every((r) => r.runRequests === r.nginxRequests),
    cpuS: median(rs.map((r) => r.cpuS)),
    nginxCpuPct: median(rs.map((r) => r.nginxCpuPct)),
    generatorCpuPct: median(rs.map((r) => r.generatorCpuPct)),
    /** steady requests per CPU-second of the generator processes (the workers, not the parent) */
    requestsPerCpuS: median(rs.map((r) => Math.round((r.rps * 100) / Math.max(1, r.generatorCpuPct)))),
    loadBefore: median(rs.map((r) => r.loadBefore)),
  }
})
const ratio = summary[1]!.rps / summary[0]!.rps
const setup = values.pin
  ? 'nginx worker_processes 1 pinned to CPU 1; checkin-load processes unpinned'
  : `nginx worker_processes ${values['nginx-workers']}, nothing pinned`
const niceText = values.nice !== undefined ? `, every process at nice ${values.nice}` : ''
const efficiency = summary[1]!.requestsPerCpuS / summary[0]!.requestsPerCpuS
if (values.json) {
  console.log(
    JSON.stringify({
      setup: `${setup}${niceText}`,
      twoBusyLoopsCpuPct: controls,
      seconds: SECONDS,
      rounds: ROUNDS,
      inFlight: IN_FLIGHT,
      summary,
      ratio,
      efficiency,
      results,
    }),
  )
} else {
  console.log(
    `\nsetup: ${setup}${niceText}; ${SECONDS} s runs, ${ROUNDS} rounds, medians; in flight ${IN_FLIGHT} per run`,
  )
  console.log(
    'workers  req/s (steady)  generator CPU  req per generator CPU-s  nginx CPU  run CPU-s (whole life)  load avg  counts = nginx',
  )
  for (const s of summary) {
    console.log(
      `${String(s.workers).padStart(7)}  ${String(s.rps).padStart(14)}  ${`${s.generatorCpuPct}%`.padStart(13)}  ${String(s.requestsPerCpuS).padStart(23)}  ${`${s.nginxCpuPct}%`.padStart(9)}  ${s.cpuS.toFixed(1).padStart(21)}  ${String(s.loadBefore).padStart(8)}  ${s.countsMatch ? 'yes' : 'NO'}`,
    )
  }
  console.log(
    `\ncontrol: two busy loops at once got ${controls.map((c) => c.map((x) => `${x}%`).join(' + ')).join(' (before), ')} (after) of a core`,
  )
  console.log(
    `--workers 2 / 1 worker: ${ratio.toFixed(2)}x the rate, ${efficiency.toFixed(2)}x the requests per generator CPU-second`,
  )
}
