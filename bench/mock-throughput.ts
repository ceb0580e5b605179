/**
 * How many requests a second the `fast` stand-in absorbs on one core under the check-in mix.
 *
 *   bash bench/mock-throughput.sh [--duration 10] [--rounds 3] [--connections 256] [--warmup 2]
 *                                 [--driver raw|autocannon] [--no-peer]
 *
 * The stand-in runs as its own process pinned to CPU 1 (`taskset -c 1`); the driver runs in another
 * process pinned to CPU 0. The mix is the profile's: for every day-of visit four pre-check-in
 * visits (588 : 2417 a minute), each visit GET sessions -> POST sessions -> GET -> POST with a fresh
 * random uuid, one visit at a time per connection, carrying the session cookie. The default driver
 * writes raw HTTP/1.1 on sockets (a few µs a request, so the server is what gets measured);
 * `--driver autocannon` uses autocannon's `requests` (slower: it rebuilds every dynamic request).
 *
 * Reported, as the median of the rounds: req/s; requests per CPU-second of the stand-in (read from
 * /proc), which is what a dedicated core absorbs even when other work shares the machine; the
 * driver's count checked against the stand-in's own counter (/metrics); and, measured in the same
 * rounds, a bare fastify answering the same routes with fixed bodies (the floor: node + fastify).
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { BIN_PATH, LISTENING_RE } from '../src/mock/process.js'

const TARGET_RPS = 15_000

interface DriveResult {
  /** answers within the duration (the rate's numerator) */
  requests: number
  /** all answers, including those of requests in flight at the end */
  answered: number
  ok: number
  notOk: number
  errors: number
  timeouts: number
  durationS: number
  latencyMsP50: number
  latencyMsP99: number
  /** the driver's own CPU over the run, % of one core */
  driverCpuPct?: number
}

// ---- the driver (runs in its own process, pinned to CPU 0) ----

interface AutocannonRequest {
  method: string
  path: string
  headers?: Record<string, string>
  body?: string
  setupRequest?: (req: AutocannonRequest, context: FlowContext) => AutocannonRequest
  onResponse?: (status: number, body: string, context: FlowContext, headers: Record<string, string>) => void
}
interface FlowContext {
  uuid?: string
  cookie?: string
}
interface AutocannonResult {
  requests: { total: number }
  latency: { p50: number; p99: number }
  duration: number
  errors: number
  timeouts: number
  non2xx: number
  '2xx': number
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>

const uuidPool = randomBytes(16 * 4096)
let uuidAt = 0
function newUuid(): string {
  const hex = uuidPool.toString('hex', (uuidAt % 4096) * 16, (uuidAt % 4096) * 16 + 16)
  uuidAt++
  if (uuidAt % 4096 === 0) randomBytes(16 * 4096).copy(uuidPool)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

const JSON_HEADERS = { 'content-type': 'application/json' }

function flowRequests(preCheckIn: boolean): AutocannonRequest[] {
  const withCookie = (req: AutocannonRequest, ctx: FlowContext) => ({
    ...req,
    headers: { ...req.headers, cookie: ctx.cookie ?? '' },
  })
  return [
    {
      method: 'GET',
      path: '/',
      setupRequest: (req, ctx) => {
        ctx.uuid = newUuid()
        ctx.cookie = undefined
        return {
          ...req,
          path: `/check_in/v2/sessions/${ctx.uuid}${preCheckIn ? '?checkInType=preCheckIn' : ''}`,
        }
      },
    },
    {
      method: 'POST',
      path: '/check_in/v2/sessions',
      headers: JSON_HEADERS,
      setupRequest: (req, ctx) => ({
        ...req,
        body: `{"session":{"uuid":"${ctx.uuid}","dob":"1960-03-12","last_name":"Johnson"${preCheckIn ? ',"check_in_type":"preCheckIn"' : ''}}}`,
      }),
      onResponse: (_status, _body, ctx, headers) => {
        const setCookie = headers['set-cookie']
        if (typeof setCookie === 'string') ctx.cookie = setCookie.slice(0, setCookie.indexOf(';'))
      },
    },
    {
      method: 'GET',
      path: '/',
      setupRequest: (req, ctx) =>
        withCookie(
          {
            ...req,
            path: preCheckIn
              ? `/check_in/v2/pre_check_ins/${ctx.uuid}?checkInType=preCheckIn`
              : `/check_in/v2/patient_check_ins/${ctx.uuid}`,
          },
          ctx,
        ),
    },
    {
      method: 'POST',
      path: preCheckIn ? '/check_in/v2/pre_check_ins' : '/check_in/v2/patient_check_ins',
      headers: JSON_HEADERS,
      setupRequest: (req, ctx) =>
        withCookie(
          {
            ...req,
            body: preCheckIn
              ? `{"pre_check_in":{"uuid":"${ctx.uuid}","demographics_up_to_date":true,"next_of_kin_up_to_date":true,"emergency_contact_up_to_date":true,"check_in_type":"preCheckIn"}}`
              : `{"patient_check_ins":{"uuid":"${ctx.uuid}","appointment_ien":"460"}}`,
          },
          ctx,
        ),
    },
  ]
}

async function drive(url: string, durationS: number, connections: number): Promise<DriveResult> {
  const require = createRequire(import.meta.url)
  const autocannon = require('autocannon') as Autocannon
  // one day-of visit, then four pre-check-in visits, per connection, round and round
  const requests = [
    ...flowRequests(false),
    ...flowRequests(true),
    ...flowRequests(true),
    ...flowRequests(true),
    ...flowRequests(true),
  ]
  const result = await autocannon({ url, connections, duration: durationS, requests, timeout: 10 })
  return {
    requests: result.requests.total,
    answered: result.requests.total,
    ok: result['2xx'],
    notOk: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    durationS: result.duration,
    latencyMsP50: result.latency.p50,
    latencyMsP99: result.latency.p99,
  }
}

/**
 * A lean driver on raw sockets (the default): HTTP/1.1 keep-alive, one visit at a time per
 * connection, requests written as strings, answers parsed by content-length. It costs a few µs a
 * request, so the stand-in, not the driver, is what gets measured.
 */
const FLOW_STEPS = 4
const VISITS = [false, true, true, true, true] // one day-of visit, then four pre-check-ins

function rawRequest(host: string, preCheckIn: boolean, step: number, uuid: string, cookie: string): string {
  const cookieLine = cookie === '' ? '' : `cookie: ${cookie}\r\n`
  const post = (path: string, body: string) =>
    `POST ${path} HTTP/1.1\r\nhost: ${host}\r\n${cookieLine}content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`
  switch (step) {
    case 0:
      return `GET /check_in/v2/sessions/${uuid}${preCheckIn ? '?checkInType=preCheckIn' : ''} HTTP/1.1\r\nhost: ${host}\r\n\r\n`
    case 1:
      return post(
        '/check_in/v2/sessions',
        `{"session":{"uuid":"${uuid}","dob":"1960-03-12","last_name":"Johnson"${preCheckIn ? ',"check_in_type":"preCheckIn"' : ''}}}`,
      )
    case 2:
      return preCheckIn
        ? `GET /check_in/v2/pre_check_ins/${uuid}?checkInType=preCheckIn HTTP/1.1\r\nhost: ${host}\r\n${cookieLine}\r\n`
        : `GET /check_in/v2/patient_check_ins/${uuid} HTTP/1.1\r\nhost: ${host}\r\n${cookieLine}\r\n`
    default:
      return preCheckIn
        ? post(
            '/check_in/v2/pre_check_ins',
            `{"pre_check_in":{"uuid":"${uuid}","demographics_up_to_date":true,"next_of_kin_up_to_date":true,"emergency_contact_up_to_date":true,"check_in_type":"preCheckIn"}}`,
          )
        : post(
            '/check_in/v2/patient_check_ins',
            `{"patient_check_ins":{"uuid":"${uuid}","appointment_ien":"460"}}`,
          )
  }
}

async function driveRaw(url: string, durationS: number, connections: number): Promise<DriveResult> {
  const { connect } = await import('node:net')
  const target = new URL(url)
  const host = target.host
  const latencies: number[] = []
  let requests = 0 // answered within the duration
  let answered = 0 // answered at all (some after the duration: the stand-in counted them too)
  let ok = 0
  let notOk = 0
  let errors = 0
  let running = true
  const started = performance.now()
  const sockets: import('node:net').Socket[] = []
  await new Promise<void>((resolveAll) => {
    let open = connections
    const closed = () => {
      if (--open === 0) resolveAll()
    }
    for (let c = 0; c < connections; c++) {
      let visit = c % VISITS.length
      let step = 0
      let uuid = ''
      let cookie = ''
      let buffered = ''
      let sentAt = 0
      const socket = connect({ host: target.hostname, port: Number(target.port) })
      sockets.push(socket)
      socket.setNoDelay(true)
      socket.setEncoding('latin1')
      const send = () => {
        if (!running) {
          socket.end()
          return
        }
        if (step === 0) {
          visit = (visit + 1) % VISITS.length
          uuid = newUuid()
          cookie = ''
        }
        sentAt = performance.now()
        socket.write(rawRequest(host, VISITS[visit]!, step, uuid, cookie), 'latin1')
      }
      socket.on('connect', send)
      socket.on('data', (chunk: string) => {
        buffered += chunk
        for (;;) {
          const headEnd = buffered.indexOf('\r\n\r\n')
          if (headEnd < 0) return
          const head = buffered.slice(0, headEnd)
          const lengthAt = head.search(/\r\ncontent-length: /i)
          const length = lengthAt < 0 ? 0 : Number.parseInt(head.slice(lengthAt + 18), 10)
          const end = headEnd + 4 + length
          if (buffered.length < end) return
          buffered = buffered.slice(end)
          const status = Number(head.slice(9, 12))
          answered++
          if (running) requests++
          if (latencies.length < 1_000_000) latencies.push(performance.now() - sentAt)
          if (status === 200) ok++
          else notOk++
          if (step === 1) {
            const at = head.search(/\r\nset-cookie: /i)
            if (at >= 0) {
              const value = head.slice(at + 14)
              cookie = value.slice(0, value.search(/[;\r]/))
            }
          }
          step = (step + 1) % FLOW_STEPS
          send()
        }
      })
      socket.on('error', () => {
        errors++
      })
      socket.on('close', closed)
    }
    setTimeout(() => {
      running = false
      // answers still in flight are not waited for beyond a second
      setTimeout(() => {
        for (const s of sockets) s.destroy()
      }, 1000).unref()
    }, durationS * 1000)
  })
  const elapsedS = (performance.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  const at = (p: number) =>
    Number((latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0).toFixed(2))
  void elapsedS
  return {
    requests,
    answered,
    ok,
    notOk,
    errors,
    timeouts: 0,
    durationS,
    latencyMsP50: at(0.5),
    latencyMsP99: at(0.99),
  }
}

// ---- the orchestrator ----

function argValue(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(name)
  if (at < 0) return fallback
  const value = Number(args[at + 1])
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} needs a positive number`)
  return value
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // utime and stime are fields 14 and 15 of the whole line (11 and 12 after the command)
  return (Number(fields[11]) + Number(fields[12])) / 100
}

async function serverCount(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text()
  let total = 0
  for (const line of text.split('\n')) {
    if (line.startsWith('checkin_mock_requests_total{'))
      total += Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return total
}

function runDriver(
  url: string,
  durationS: number,
  connections: number,
  driver: string,
): Promise<DriveResult> {
  const self = fileURLToPath(import.meta.url)
  const child = spawn(
    'taskset',
    [
      '-c',
      '0',
      process.execPath,
      self,
      '--drive',
      url,
      '--duration',
      String(durationS),
      '--connections',
      String(connections),
      '--driver',
      driver,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk
  })
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('DRIVE '))
      if (code !== 0 || line === undefined) reject(new Error(`driver failed (exit ${code}): ${out}`))
      else resolve(JSON.parse(line.slice(6)) as DriveResult)
    })
  })
}

function driverName(args: string[]): 'raw' | 'autocannon' {
  const at = args.indexOf('--driver')
  const name = at < 0 ? 'raw' : args[at + 1]
  if (name !== 'raw' && name !== 'autocannon') throw new Error('--driver must be raw or autocannon')
  return name
}

/**
 * The peer: a bare fastify answering the same routes with fixed bodies (a session cookie on POST
 * sessions), no pool, no downstream, no per-uuid state, no metrics library. What node + fastify
 * cost alone on this machine, measured in the same run: the stand-in's overhead is the difference.
 */
async function bareServer(): Promise<void> {
  const { default: Fastify } = await import('fastify')
  const app = Fastify({ logger: false })
  let answered = 0
  const json = 'application/json; charset=utf-8'
  const fixed = (body: string) => (_request: unknown, reply: import('fastify').FastifyReply) => {
    answered++
    reply.type(json).send(body)
  }
  const permissions =
    '{"permissions":"read.full","status":"success","uuid":"d602d9eb-9a31-484f-9637-13ab0b507e0d"}'
  app.get('/check_in/v2/sessions/:id', fixed(permissions))
  app.post('/check_in/v2/sessions', (_request, reply) => {
    answered++
    reply.type(json).header('set-cookie', 'api_session=abc; path=/; HttpOnly; SameSite=Lax').send(permissions)
  })
  app.get('/check_in/v2/patient_check_ins/:id', fixed('{"id":"x","payload":{"appointments":[]}}'))
  app.get('/check_in/v2/pre_check_ins/:id', fixed('{"id":"x","payload":{"appointments":[]}}'))
  app.post('/check_in/v2/patient_check_ins', fixed('{"data":"Checkin successful","status":200}'))
  app.post('/check_in/v2/pre_check_ins', fixed('{"data":"Pre-checkin successful","status":200}'))
  app.get('/metrics', (_request, reply) => {
    reply.send(`checkin_mock_requests_total{endpoint="all"} ${answered}\n`)
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as import('node:net').AddressInfo
  process.stdout.write(`checkin-load mock listening on http://127.0.0.1:${port}\n`)
  process.stdin.on('end', () => process.exit(0)).resume()
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(0))
}

interface Target {
  readonly name: string
  readonly url: string
  readonly pid: number
  stop(): Promise<void>
}

async function startTarget(name: 'stand-in' | 'bare fastify'): Promise<Target> {
  const command =
    name === 'stand-in'
      ? [BIN_PATH, 'mock', '--port', '0', '--preset', 'fast', '--quiet', '--stop-on-stdin-end']
      : [fileURLToPath(import.meta.url), '--bare-server']
  const child = spawn('taskset', ['-c', '1', process.execPath, ...command], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
      const match = LISTENING_RE.exec(out.split('\n')[0] ?? '')
      if (match) resolve(match[1]!)
    })
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before listening`)))
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  return {
    name,
    url,
    pid: child.pid!,
    stop: async () => {
      child.stdin.end()
      child.kill('SIGTERM')
      await exited
    },
  }
}

interface Run {
  target: string
  reqPerS: number
  reqPerCpuS: number
  driverRequests: number
  driverAnswers: number
  serverRequests: number
  countMatches: boolean
  not2xx: number
  errors: number
  latencyMsP50: number
  latencyMsP99: number
  serverCpuPct: number
  driverCpuPct: number
}

async function measure(
  target: Target,
  durationS: number,
  warmupS: number,
  connections: number,
  driver: string,
): Promise<Run> {
  await runDriver(target.url, warmupS, connections, driver)
  const count0 = await serverCount(target.url)
  const cpu0 = cpuSeconds(target.pid)
  const t0 = performance.now()
  const result = await runDriver(target.url, durationS, connections, driver)
  const wallS = (performance.now() - t0) / 1000
  const cpu1 = cpuSeconds(target.pid)
  const serverRequests = (await serverCount(target.url)) - count0
  return {
    target: target.name,
    reqPerS: Math.round(result.requests / result.durationS),
    // requests per CPU-second of the server: what one dedicated core would absorb
    reqPerCpuS: Math.round(serverRequests / (cpu1 - cpu0)),
    driverRequests: result.requests,
    driverAnswers: result.answered,
    serverRequests,
    countMatches: serverRequests === result.answered,
    not2xx: result.notOk,
    errors: result.errors + result.timeouts,
    latencyMsP50: result.latencyMsP50,
    latencyMsP99: result.latencyMsP99,
    serverCpuPct: Math.round(((cpu1 - cpu0) / wallS) * 100),
    driverCpuPct: result.driverCpuPct ?? 0,
  }
}

function medianOf(runs: Run[], key: 'reqPerS' | 'reqPerCpuS'): number {
  const values = runs.map((r) => r[key]).sort((a, b) => a - b)
  return values[Math.floor(values.length / 2)]!
}

async function main(args: string[]): Promise<void> {
  const durationS = argValue(args, '--duration', 10)
  const connections = argValue(args, '--connections', 256)
  const driver = driverName(args)
  if (args[0] === '--bare-server') return bareServer()
  if (args[0] === '--drive') {
    const cpu0 = process.cpuUsage()
    const wall0 = performance.now()
    const result =
      driver === 'raw'
        ? await driveRaw(args[1]!, durationS, connections)
        : await drive(args[1]!, durationS, connections)
    const cpu = process.cpuUsage(cpu0)
    result.driverCpuPct = Math.round(((cpu.user + cpu.system) / 1000 / (performance.now() - wall0)) * 100)
    process.stdout.write(`DRIVE ${JSON.stringify(result)}\n`)
    return
  }
  const warmupS = argValue(args, '--warmup', 2)
  const rounds = argValue(args, '--rounds', 3)
  const withPeer = !args.includes('--no-peer')
  const targets = [await startTarget('stand-in'), ...(withPeer ? [await startTarget('bare fastify')] : [])]
  const runs: Run[] = []
  try {
    process.stdout.write(
      `servers on CPU 1 (${targets.map((t) => t.name).join(', ')}), driver (${driver}) on CPU 0; ` +
        `${rounds} round(s) of ${warmupS} s warm-up + ${durationS} s, ${connections} connections, check-in mix\n\n`,
    )
    for (let round = 1; round <= rounds; round++) {
      for (const target of targets) {
        const run = await measure(target, durationS, warmupS, connections, driver)
        runs.push(run)
        process.stdout.write(
          `round ${round} ${run.target.padEnd(12)} ${String(run.reqPerS).padStart(6)} req/s, ` +
            `${String(run.reqPerCpuS).padStart(6)} req per CPU-s (server CPU ${run.serverCpuPct}%, driver ${run.driverCpuPct}%), ` +
            `p50 ${run.latencyMsP50} ms p99 ${run.latencyMsP99} ms, ` +
            `count ${run.driverAnswers}/${run.serverRequests} ${run.countMatches ? 'match' : 'MISMATCH'}, ` +
            `non-2xx ${run.not2xx}, errors ${run.errors}\n`,
        )
      }
    }
  } finally {
    for (const target of targets) await target.stop()
  }
  const mine = runs.filter((r) => r.target === 'stand-in')
  const peer = runs.filter((r) => r.target !== 'stand-in')
  const rps = medianOf(mine, 'reqPerS')
  const perCpu = medianOf(mine, 'reqPerCpuS')
  const summary = {
    reqPerS: rps,
    ratioToTarget: Number((rps / TARGET_RPS).toFixed(2)),
    reqPerCpuS: perCpu,
    cpuUsPerRequest: Number((1e6 / perCpu).toFixed(1)),
    ratioToTargetPerCore: Number((perCpu / TARGET_RPS).toFixed(2)),
    ...(peer.length > 0 && {
      bareFastifyReqPerS: medianOf(peer, 'reqPerS'),
      bareFastifyReqPerCpuS: medianOf(peer, 'reqPerCpuS'),
      standInShareOfBare: Number((perCpu / medianOf(peer, 'reqPerCpuS')).toFixed(2)),
    }),
    countsMatch: mine.every((r) => r.countMatches),
    not2xx: mine.reduce((sum, r) => sum + r.not2xx, 0),
    errors: mine.reduce((sum, r) => sum + r.errors, 0),
  }
  process.stdout.write(
    `\nstand-in, median of ${mine.length}: ${rps} req/s = ${summary.ratioToTarget}x the ${TARGET_RPS} req/s target ` +
      `(${rps >= TARGET_RPS ? 'PASS' : 'below target: see the CPU figures'})\n` +
      `  ${perCpu} requests per CPU-second (${summary.cpuUsPerRequest} µs of CPU a request) = ` +
      `${summary.ratioToTargetPerCore}x the target on a dedicated core\n` +
      (peer.length > 0
        ? `  bare fastify on the same routes: ${summary.bareFastifyReqPerS} req/s, ${summary.bareFastifyReqPerCpuS} per CPU-second: ` +
          `the stand-in does ${summary.standInShareOfBare}x of its work per CPU-second\n`
        : '') +
      `  server-side count ${summary.countsMatch ? 'matched the driver in every run' : 'DID NOT MATCH'}; ` +
      `non-2xx ${summary.not2xx}, errors ${summary.errors}\n` +
      `RESULT ${JSON.stringify(summary)}\n`,
  )
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`mock-throughput: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 1
})
