/**
 * How many requests a second the `fast` stand-in absorbs on one core under the check-in mix.
 *
 *   bash bench/mock-throughput.sh [--duration 10] [--connections 256] [--warmup 2]
 *
 * The stand-in runs as its own process pinned to CPU 1 (`taskset -c 1`); the driver, autocannon
 * (programmatic, one flow per connection at a time, carrying the session cookie) runs in another
 * process pinned to CPU 0. The mix is the profile's: for every day-of visit four pre-check-in
 * visits (588 : 2417 a minute), each visit GET sessions -> POST sessions -> GET -> POST with a fresh
 * random uuid. The driver's count is checked against the stand-in's own request counter
 * (/metrics), and the stand-in's CPU is read from /proc to show whether it was the bottleneck.
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

async function main(args: string[]): Promise<void> {
  const durationS = argValue(args, '--duration', 10)
  const connections = argValue(args, '--connections', 256)
  const driver = driverName(args)
  if (args[0] === '--drive') {
    const result =
      driver === 'raw'
        ? await driveRaw(args[1]!, durationS, connections)
        : await drive(args[1]!, durationS, connections)
    process.stdout.write(`DRIVE ${JSON.stringify(result)}\n`)
    return
  }
  const warmupS = argValue(args, '--warmup', 2)
  const server = spawn(
    'taskset',
    [
      '-c',
      '1',
      process.execPath,
      BIN_PATH,
      'mock',
      '--port',
      '0',
      '--preset',
      'fast',
      '--quiet',
      '--stop-on-stdin-end',
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  )
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    server.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
      const match = LISTENING_RE.exec(out.split('\n')[0] ?? '')
      if (match) resolve(match[1]!)
    })
    server.once('exit', (code) => reject(new Error(`the stand-in exited (${code}) before listening`)))
  })
  try {
    process.stdout.write(`stand-in (fast preset) on CPU 1 at ${url}, driver (${driver}) on CPU 0\n`)
    process.stdout.write(`warm-up ${warmupS} s, then ${durationS} s with ${connections} connections\n`)
    await runDriver(url, warmupS, connections, driver)
    const count0 = await serverCount(url)
    const cpu0 = cpuSeconds(server.pid!)
    const t0 = performance.now()
    const result = await runDriver(url, durationS, connections, driver)
    const wallS = (performance.now() - t0) / 1000
    const cpu1 = cpuSeconds(server.pid!)
    const count1 = await serverCount(url)
    const rps = result.requests / result.durationS
    const serverRequests = count1 - count0
    const report = {
      reqPerS: Math.round(rps),
      targetReqPerS: TARGET_RPS,
      ratioToTarget: Number((rps / TARGET_RPS).toFixed(2)),
      driverRequests: result.requests,
      serverRequests,
      driverAnswers: result.answered,
      countMatches: serverRequests === result.answered,
      not2xx: result.notOk,
      errors: result.errors,
      timeouts: result.timeouts,
      latencyMsP50: result.latencyMsP50,
      latencyMsP99: result.latencyMsP99,
      standInCpuPct: Math.round(((cpu1 - cpu0) / wallS) * 100),
    }
    process.stdout.write(
      `\n${report.reqPerS} req/s = ${report.ratioToTarget}x the ${TARGET_RPS} req/s target ` +
        `(${report.reqPerS >= TARGET_RPS ? 'PASS' : 'BELOW TARGET'})\n` +
        `driver counted ${report.driverAnswers} answers (${report.driverRequests} within ${durationS} s), ` +
        `the stand-in ${report.serverRequests} (${report.countMatches ? 'match' : 'MISMATCH'}); ` +
        `non-2xx ${report.not2xx}, errors ${report.errors}, timeouts ${report.timeouts}\n` +
        `latency p50 ${report.latencyMsP50} ms, p99 ${report.latencyMsP99} ms; stand-in CPU ${report.standInCpuPct}% of one core\n` +
        `RESULT ${JSON.stringify(report)}\n`,
    )
  } finally {
    server.kill('SIGTERM')
    await new Promise((resolve) => server.once('exit', resolve))
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`mock-throughput: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 1
})
