/**
 * checkin-load's engine side by side with its peers, in the same run (bench-peers.md):
 *
 *   1. max rate: each tool with 50 connections (checkin-load: 50 flows in flight, asked far more
 *      than it can do, so it runs flat out), against nginx; achieved req/s from the tool and from
 *      nginx's own counter (stub_status); checkin-load once more with its live exporters on
 *      (Prometheus scraped every second, DogStatsD to a UDP listener), and the ratio of the two;
 *   2. at 5000 req/s asked: achieved rate, smoothness (coefficient of variation of nginx's count per
 *      10 ms, from an access log of $msec), the generator's CPU, and for checkin-load its send lag.
 *
 * nginx is pinned to CPU 1 and every generator to CPU 0 (taskset); R rounds, one of each tool per
 * round, medians reported. Needs nginx, wrk, hey (Debian) and autocannon (npm, a devDependency);
 * the smoothness peers the engine issue names, loadtest (npm, installed by bench/run.sh into
 * bench/.peers, or LOADTEST_BIN) and Locust (Debian python3-locust), run at the rate when found.
 *
 *   npx tsc -p . && node dist/bench/engine-max.js [--seconds 10] [--rounds 3] [--rate 5000] [--json]
 *     [--skip-max] [--skip-rate] [--only TEXT]   (--only: the tools whose name contains TEXT)
 */
import { spawn, spawnSync } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import {
  childrenOf,
  cpuOf,
  freePort,
  type Nginx,
  nginxRequests as nginxRequestsOn,
  startNginx,
} from './nginx.js'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    rate: { type: 'string', default: '5000' },
    json: { type: 'boolean', default: false },
    'skip-max': { type: 'boolean', default: false },
    'skip-rate': { type: 'boolean', default: false },
    only: { type: 'string', default: '' },
  },
})
const SECONDS = Number(values.seconds)
const ROUNDS = Number(values.rounds)
const RATE = Number(values.rate)
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const DRIVER = join(ROOT, 'dist/bench/engine-rate.js')
const AUTOCANNON = join(ROOT, 'node_modules/.bin/autocannon')
/** loadtest 8 (npm): bench/run.sh installs it beside the bench, not as a project dependency */
const LOADTEST = process.env.LOADTEST_BIN ?? join(ROOT, 'bench/.peers/node_modules/.bin/loadtest')
const HAS_LOADTEST = existsSync(LOADTEST)
const HAS_LOCUST = spawnSync('locust', ['--version'], { stdio: 'ignore' }).status === 0
const PORT = await freePort()
const STATUS_PORT = await freePort()
const LOGGED_PORT = await freePort()
const URL_MAX = `http://127.0.0.1:${PORT}/check_in/v2/sessions`
const URL_RATE = `http://127.0.0.1:${LOGGED_PORT}/check_in/v2/sessions`

const dir = mkdtempSync(join(tmpdir(), 'checkin-load-bench-'))
const accessLog = join(dir, 'access.log')
const nginxRequests = () => nginxRequestsOn(STATUS_PORT)

interface Ran {
  stdout: string
  stderr: string
  elapsedS: number
  cpuS: number
  /** CPU % of one core over the steady middle (STEADY_FROM_S to SECONDS - 1 after the start) */
  steadyCpuPct: number
}

/**
 * Every tool's CPU is also read over the same window, from 2 s after it was started to 1 s
 * before its run ends: steady state for all (checkin-load's start-up and warm-up take ~1 s, the
 * others' a few ms), so start-up costs do not weigh on a short run.
 */
const STEADY_FROM_S = 2

/** Runs a command pinned to CPU 0 under /usr/bin/time: its output, wall time and CPU seconds. */
function runPinned(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', 'TIME %e %U %S', 'taskset', '-c', '0', command, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    const guard = setTimeout(() => child.kill('SIGKILL'), (SECONDS + 60) * 1000)
    // /usr/bin/time's child is the tool (taskset execs it)
    const tool = () => childrenOf(child.pid!)[0]
    let steady = { pid: 0, fromCpuS: 0, fromS: 0, cpuS: 0, s: 0 }
    const sampleFrom = setTimeout(() => {
      const pid = tool()
      if (pid !== undefined)
        steady = { pid, fromCpuS: cpuOf(pid), fromS: performance.now() / 1000, cpuS: 0, s: 0 }
    }, STEADY_FROM_S * 1000)
    const sampleTo = setTimeout(
      () => {
        if (steady.pid === 0) return
        steady.cpuS = cpuOf(steady.pid) - steady.fromCpuS
        steady.s = performance.now() / 1000 - steady.fromS
      },
      (SECONDS - 1) * 1000,
    )
    child.on('error', reject)
    child.on('close', () => {
      clearTimeout(guard)
      clearTimeout(sampleFrom)
      clearTimeout(sampleTo)
      const match = /TIME ([\d.]+) ([\d.]+) ([\d.]+)/.exec(stderr)
      if (!match) return reject(new Error(`${command} failed: ${stderr.slice(-500)}`))
      resolve({
        stdout,
        stderr,
        elapsedS: Number(match[1]),
        cpuS: Number(match[2]) + Number(match[3]),
        steadyCpuPct: steady.s > 0 ? Math.round((steady.cpuS / steady.s) * 1000) / 10 : Number.NaN,
      })
    })
  })
}

const rpsOf = (text: string) => Number(/Requests\/sec:\s*([\d.]+)/.exec(text)?.[1] ?? Number.NaN)

interface MaxResult {
  tool: string
  toolRps: number
  serverRps: number
  cpuPct: number
}

/** checkin-load flat out: 50 flows in flight over 50 connections, asked far more than it can do. */
async function checkinMax(flows: 'checkin' | 'one', extra: readonly string[] = []) {
  const ran = await runPinned(process.execPath, [
    DRIVER,
    '--flows',
    flows,
    '--rps',
    '200000',
    '--max-in-flight',
    '50',
    '--connections',
    '50',
    '--seconds',
    String(SECONDS),
    '--target',
    `http://127.0.0.1:${PORT}`,
    ...extra,
  ])
  const json = JSON.parse(ran.stdout)
  if (extra.length > 0)
    process.stderr.write(`  exporters' own work: ${json.exportersMsPerSecond} ms per second\n`)
  return { ran, toolRps: json.achievedRps as number }
}

/**
 * The same, with the live exporters on as a watched run has them: Prometheus scraped every second
 * (its default is every 15 s) and DogStatsD sent to a UDP listener here, which counts what came.
 */
async function checkinMaxMonitored() {
  const promPort = await freePort()
  const udp = createSocket('udp4')
  let datagrams = 0
  udp.on('message', () => datagrams++)
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve))
  let scrapes = 0
  let scraping = true
  const scraper = (async () => {
    while (scraping) {
      await sleep(1000)
      try {
        const response = await fetch(`http://127.0.0.1:${promPort}/metrics`)
        if ((await response.text()).includes('checkin_load_requests_total')) scrapes++
      } catch {
        // not up yet, or gone
      }
    }
  })()
  try {
    const result = await checkinMax('checkin', [
      '--prometheus-port',
      String(promPort),
      '--dogstatsd',
      `127.0.0.1:${udp.address().port}`,
    ])
    process.stderr.write(`  monitored run: ${scrapes} Prometheus scrapes, ${datagrams} DogStatsD datagrams\n`)
    if (scrapes === 0 || datagrams === 0)
      throw new Error('the exporters were not on: no scrape or no datagram')
    return result
  } finally {
    scraping = false
    await scraper
    udp.close()
  }
}

const MONITORED = 'checkin-load (check-in flows, Prometheus + DogStatsD on)'

const MAX_TOOLS: readonly { tool: string; run: () => Promise<{ ran: Ran; toolRps: number }> }[] = [
  { tool: 'checkin-load (check-in flows)', run: () => checkinMax('checkin') },
  { tool: MONITORED, run: checkinMaxMonitored },
  { tool: 'checkin-load (one GET)', run: () => checkinMax('one') },
  {
    tool: 'autocannon',
    run: async () => {
      const ran = await runPinned(process.execPath, [
        AUTOCANNON,
        '-c',
        '50',
        '-d',
        String(SECONDS),
        '-j',
        URL_MAX,
      ])
      const json = JSON.parse(ran.stdout)
      return { ran, toolRps: json.requests.total / json.duration }
    },
  },
  {
    tool: 'wrk',
    run: async () => {
      const ran = await runPinned('wrk', ['-t1', '-c50', `-d${SECONDS}s`, URL_MAX])
      return { ran, toolRps: rpsOf(ran.stdout) }
    },
  },
  {
    tool: 'hey',
    run: async () => {
      const ran = await runPinned('hey', ['-c', '50', '-z', `${SECONDS}s`, URL_MAX])
      return { ran, toolRps: rpsOf(ran.stdout) }
    },
  },
]

interface RateResult {
  tool: string
  serverRps: number
  cv10ms: number
  cv1ms: number
  cpuPct: number
  steadyCpuPct: number
  sendLagP99Ms?: number
  engineCpuPct?: number
}

/** checkin-load at RATE req/s asked, constant arrivals, against nginx's logged server. */
async function checkinAtRate(flows: 'checkin' | 'one', clock: 'timer' | 'precise' = 'timer') {
  const ran = await runPinned(
    process.execPath,
    [
      DRIVER,
      '--flows',
      flows,
      '--rps',
      String(RATE),
      '--seconds',
      String(SECONDS),
      '--target',
      `http://127.0.0.1:${LOGGED_PORT}`,
    ],
    { CHECKIN_LOAD_CLOCK: clock },
  )
  const json = JSON.parse(ran.stdout)
  return { ran, extra: { sendLagP99Ms: json.sendLagMs.p99, engineCpuPct: json.cpuPct } }
}

const RATE_TOOLS: readonly { tool: string; run: () => Promise<{ ran: Ran; extra?: Partial<RateResult> }> }[] =
  [
    { tool: 'checkin-load (check-in flows, constant)', run: () => checkinAtRate('checkin') },
    // the same, woken for each arrival by a worker thread instead of Node's 1 ms timers
    {
      tool: 'checkin-load (check-in flows, constant, precise clock)',
      run: () => checkinAtRate('checkin', 'precise'),
    },
    // one request per arrival, as the peers send: smoothness without the flows' 4-request visits
    { tool: 'checkin-load (one GET, constant)', run: () => checkinAtRate('one') },
    {
      tool: 'autocannon -R',
      run: async () => ({
        ran: await runPinned(process.execPath, [
          AUTOCANNON,
          '-c',
          '50',
          '-R',
          String(RATE),
          '-d',
          String(SECONDS),
          '-j',
          URL_RATE,
        ]),
      }),
    },
    {
      tool: 'hey -q',
      run: async () => ({
        ran: await runPinned('hey', ['-c', '50', '-q', String(RATE / 50), '-z', `${SECONDS}s`, URL_RATE]),
      }),
    },
    ...(HAS_LOADTEST
      ? [
          {
            tool: 'loadtest -k --rps',
            run: async () => ({
              ran: await runPinned(process.execPath, [
                LOADTEST,
                '-k',
                '-c',
                '50',
                '--rps',
                String(RATE),
                '-t',
                String(SECONDS),
                '--quiet',
                URL_RATE,
              ]),
            }),
          },
        ]
      : []),
    ...(HAS_LOCUST
      ? [
          {
            tool: 'Locust FastHttpUser',
            run: async () => ({
              ran: await runPinned('locust', [
                '-f',
                locustFile(),
                '--headless',
                '-u',
                '50',
                '-r',
                '50',
                '-t',
                `${SECONDS}s`,
                '-H',
                `http://127.0.0.1:${LOGGED_PORT}`,
                '--only-summary',
              ]),
            }),
          },
        ]
      : []),
  ]

/** 50 Locust users of RATE / 50 requests a second each (constant_throughput), one GET per task. */
function locustFile(): string {
  const file = join(dir, 'locustfile.py')
  writeFileSync(
    file,
    [
      'from locust import constant_throughput, task',
      'from locust.contrib.fasthttp import FastHttpUser',
      'class CheckIn(FastHttpUser):',
      `    wait_time = constant_throughput(${RATE / 50})`,
      '    @task',
      '    def sessions(self):',
      "        self.client.get('/check_in/v2/sessions')",
      '',
    ].join('\n'),
  )
  return file
}

/**
 * Server-side smoothness: the coefficient of variation of nginx's count per 10 ms and per 1 ms
 * over the steady middle of the run. Per 10 ms is the issue's figure; per 1 ms shows what it
 * cannot: a tool that sends one burst every 10 ms (hey) is perfectly even per 10 ms.
 */
function smoothness(): { serverRps: number; cv10ms: number; cv1ms: number } {
  const stamps = readFileSync(accessLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => Math.round(Number(line) * 1000))
  if (stamps.length === 0) return { serverRps: 0, cv10ms: Number.NaN, cv1ms: Number.NaN }
  const first = Math.min(...stamps.slice(0, 1000))
  const last = Math.max(...stamps.slice(-1000))
  // skip the first and the last second (start-up, drain)
  const from = first + 1000
  const to = last - 1000
  const cvPer = (binMs: number) => {
    const bins = new Array(Math.max(1, Math.floor((to - from) / binMs))).fill(0)
    for (const ms of stamps)
      if (ms >= from && ms < from + bins.length * binMs) bins[Math.floor((ms - from) / binMs)]++
    const mean = bins.reduce((a, b) => a + b, 0) / bins.length
    const sd = Math.sqrt(bins.reduce((a, b) => a + (b - mean) ** 2, 0) / bins.length)
    return { mean, cv: Math.round((sd / mean) * 1000) / 1000 }
  }
  const per10 = cvPer(10)
  return { serverRps: Math.round(per10.mean * 100), cv10ms: per10.cv, cv1ms: cvPer(1).cv }
}

const median = (xs: readonly number[]) => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

let nginx: Nginx | undefined
try {
  nginx = await startNginx({
    dir,
    port: PORT,
    statusPort: STATUS_PORT,
    workerProcesses: 1,
    cpu: 1,
    logged: { port: LOGGED_PORT, accessLog },
  })
  const maxRuns = new Map<string, MaxResult[]>()
  const rateRuns = new Map<string, RateResult[]>()
  for (let round = 1; round <= ROUNDS; round++) {
    if (!values['skip-max']) {
      // the plain and the monitored engine swap places every round, so neither always runs first
      const tools = round % 2 === 0 ? [MAX_TOOLS[1]!, MAX_TOOLS[0]!, ...MAX_TOOLS.slice(2)] : MAX_TOOLS
      for (const { tool, run } of tools.filter(({ tool }) => tool.includes(values.only))) {
        const before = await nginxRequests()
        const { ran, toolRps } = await run()
        const served = (await nginxRequests()) - before
        const result = {
          tool,
          toolRps: Math.round(toolRps),
          serverRps: Math.round(served / SECONDS),
          cpuPct: Math.round((ran.cpuS / ran.elapsedS) * 100),
        }
        process.stderr.write(`round ${round} max  ${JSON.stringify(result)}\n`)
        maxRuns.set(tool, [...(maxRuns.get(tool) ?? []), result])
      }
    }
    if (!values['skip-rate']) {
      for (const { tool, run } of RATE_TOOLS.filter(({ tool }) => tool.includes(values.only))) {
        writeFileSync(accessLog, '')
        // nginx keeps its log file open: truncating in place keeps the same file
        const { ran, extra } = await run()
        const result: RateResult = {
          tool,
          ...smoothness(),
          cpuPct: Math.round((ran.cpuS / ran.elapsedS) * 100),
          steadyCpuPct: ran.steadyCpuPct,
          ...extra,
        }
        process.stderr.write(`round ${round} rate ${JSON.stringify(result)}\n`)
        rateRuns.set(tool, [...(rateRuns.get(tool) ?? []), result])
      }
    }
  }
  const maxTable = [...maxRuns].map(([tool, runs]) => ({
    tool,
    toolRps: median(runs.map((r) => r.toolRps)),
    serverRps: median(runs.map((r) => r.serverRps)),
    cpuPct: median(runs.map((r) => r.cpuPct)),
  }))
  const rateTable = [...rateRuns].map(([tool, runs]) => ({
    tool,
    serverRps: median(runs.map((r) => r.serverRps)),
    cv10ms: median(runs.map((r) => r.cv10ms)),
    cv1ms: median(runs.map((r) => r.cv1ms)),
    cpuPct: median(runs.map((r) => r.cpuPct)),
    steadyCpuPct: median(runs.map((r) => r.steadyCpuPct)),
    ...(runs[0]!.sendLagP99Ms !== undefined && {
      sendLagP99Ms: median(runs.map((r) => r.sendLagP99Ms!)),
      engineCpuPct: median(runs.map((r) => r.engineCpuPct!)),
    }),
  }))
  const autocannon = maxTable.find((r) => r.tool === 'autocannon')?.serverRps
  const wrk = maxTable.find((r) => r.tool === 'wrk')?.serverRps
  if (values.json) {
    console.log(
      JSON.stringify({ seconds: SECONDS, rounds: ROUNDS, rate: RATE, max: maxTable, atRate: rateTable }),
    )
  } else {
    if (maxTable.length > 0) {
      console.log(
        `\nMax rate, 50 connections, ${SECONDS} s x ${ROUNDS} rounds, medians (generator on CPU 0, nginx on CPU 1)`,
      )
      console.log(
        '| tool | req/s (tool) | req/s (nginx) | vs autocannon | vs wrk | generator CPU | req per CPU-s |',
      )
      console.log('|---|---:|---:|---:|---:|---:|---:|')
    }
    for (const r of maxTable) {
      const vs = (peer?: number) => (peer ? `${(r.serverRps / peer).toFixed(2)}x` : '')
      const perCpu = r.cpuPct > 0 ? Math.round(r.serverRps / (r.cpuPct / 100)) : 0
      console.log(
        `| ${r.tool} | ${r.toolRps} | ${r.serverRps} | ${vs(autocannon)} | ${vs(wrk)} | ${r.cpuPct}% | ${perCpu} |`,
      )
    }
    // the tools ran one after the other in each round: the rounds' own ratios, and their median
    const plainRuns = maxRuns.get('checkin-load (check-in flows)')
    for (const peer of ['autocannon', 'wrk']) {
      const peerRuns = maxRuns.get(peer)
      if (plainRuns === undefined || peerRuns === undefined) continue
      const ratios = plainRuns.map((r, i) => r.serverRps / peerRuns[i]!.serverRps)
      console.log(
        `check-in flows vs ${peer}, per round ${ratios.map((r) => r.toFixed(2)).join(' ')}, median ${median(ratios).toFixed(2)}x`,
      )
    }
    const plain = maxTable.find((r) => r.tool === 'checkin-load (check-in flows)')?.serverRps
    const monitored = maxTable.find((r) => r.tool === MONITORED)?.serverRps
    if (plain && monitored) {
      // the two ran back to back in each round: the median of the rounds' own ratios is less
      // sensitive to a round on a busier machine than the ratio of the medians
      const ratios = maxRuns.get(MONITORED)!.map((r, i) => r.serverRps / plainRuns![i]!.serverRps)
      console.log(
        `\nExporters on (Prometheus scraped every 1 s, DogStatsD): medians ${monitored} req/s vs ${plain} without = ${(monitored / plain).toFixed(3)}x; per round ${ratios.map((r) => r.toFixed(3)).join(' ')}, median ${median(ratios).toFixed(3)}x`,
      )
    }
    if (rateTable.length > 0) {
      console.log(`\nAt ${RATE} req/s asked: nginx's count per 10 ms (steady middle), generator CPU`)
      console.log(
        `| tool | req/s (nginx) | CV per 10 ms | CV per 1 ms | CPU, ${STEADY_FROM_S} s to ${SECONDS - 1} s | CPU, whole process | send lag p99 |`,
      )
      console.log('|---|---:|---:|---:|---:|---:|---:|')
      for (const r of rateTable) {
        const lag = 'sendLagP99Ms' in r ? `${r.sendLagP99Ms} ms` : '(not measured)'
        console.log(
          `| ${r.tool} | ${r.serverRps} | ${r.cv10ms} | ${r.cv1ms} | ${r.steadyCpuPct}% | ${r.cpuPct}% | ${lag} |`,
        )
      }
      for (const [peer, why] of [
        [HAS_LOADTEST, `loadtest: not found at ${LOADTEST} (bench/run.sh installs it)`],
        [HAS_LOCUST, 'Locust: not installed (bench/run.sh installs Debian python3-locust)'],
      ] as const)
        if (!peer) console.log(`| ${why} | | | | | | |`)
      // each tool ran once a round, one after the other: the median of the rounds' own ratios
      // weighs a round on a busier machine less than the ratio of the medians
      const pairedMedian = (ours: string, peer: string, figure: 'steadyCpuPct' | 'cv10ms' | 'cv1ms') => {
        const a = rateRuns.get(ours)
        const b = rateRuns.get(peer)
        if (a === undefined || b === undefined) return ''
        return `${median(a.map((r, i) => r[figure] / b[i]![figure])).toFixed(2)}x`
      }
      const peers = rateTable.filter((r) => !r.tool.startsWith('checkin-load')).map((r) => r.tool)
      for (const ours of rateTable.filter((r) => r.tool.startsWith('checkin-load')).map((r) => r.tool)) {
        console.log(`${ours}, median of the rounds' ratios:`)
        console.log(
          `  CPU (steady window) vs ${peers.map((p) => `${p} ${pairedMedian(ours, p, 'steadyCpuPct')}`).join(', ')}`,
        )
        console.log(
          `  CV per 10 ms vs ${peers
            .filter((p) => !p.startsWith('autocannon') && !p.startsWith('hey'))
            .map((p) => `${p} ${pairedMedian(ours, p, 'cv10ms')}`)
            .join(', ')}`,
        )
        console.log(
          `  CV per 1 ms vs ${peers.map((p) => `${p} ${pairedMedian(ours, p, 'cv1ms')}`).join(', ')}`,
        )
      }
    }
  }
} finally {
  await nginx?.stop()
  rmSync(dir, { recursive: true, force: true })
}
