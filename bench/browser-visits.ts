/**
 * Browser traffic at scale: N visits in flight (default 10,000), each on its own TLS connection
 * (handshake included, closed at the visit's end), against an HTTPS server that holds every
 * request (preflights included) 2 s before it answers with vets-api's CORS headers. The server
 * runs in a child process (its own CPU); the generator runs here. Prints the generator's RSS,
 * CPU, send lag p99, visits (= connections) in flight, and what went wrong, if anything.
 *
 *   npx tsc -p . && node dist/bench/browser-visits.js [--in-flight 10000] [--hold-ms 2000] [--seconds 40]
 *
 * The arrival rate is set so that the visits in flight reach --in-flight: a visit sends 4
 * requests and 4 preflights, each held --hold-ms, so it lasts about 8 x hold; rate = in-flight /
 * (8 x hold). The certificate is an ECDSA P-256 one made with openssl at start (as cheap a
 * handshake as a browser gets from a CDN).
 */
import { execFileSync, fork } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { checkinVisitData } from '../src/checkin/index.js'
import { Engine } from '../src/engine/index.js'
import { Recorder } from '../src/metrics/index.js'
import { mergeEncoded } from '../src/model/histogram.js'
import { deriveRates, endpointIds, resolveProfile } from '../src/profile/index.js'

const { values } = parseArgs({
  options: {
    serve: { type: 'boolean', default: false },
    cert: { type: 'string' },
    key: { type: 'string' },
    'in-flight': { type: 'string', default: '10000' },
    'hold-ms': { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '40' },
  },
})
const HOLD_MS = Number(values['hold-ms'])

if (values.serve) {
  // the child: an HTTPS server holding every request, answering as vets-api's Rack::Cors does
  let open = 0
  let most = 0
  const server = createServer(
    { cert: readFileSync(values.cert!), key: readFileSync(values.key!) },
    (req, res) => {
      req.resume()
      req.on('end', () =>
        setTimeout(() => {
          const origin = req.headers.origin ?? ''
          res.writeHead(200, {
            'access-control-allow-origin': origin,
            'access-control-allow-credentials': 'true',
            ...(req.method === 'OPTIONS'
              ? {
                  'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD',
                  'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '',
                  'access-control-max-age': '7200',
                  'content-length': '0',
                }
              : { 'content-type': 'application/json', 'content-length': '2' }),
          })
          res.end(req.method === 'OPTIONS' ? undefined : '{}')
        }, HOLD_MS),
      )
    },
  )
  server.keepAliveTimeout = 60_000
  server.on('secureConnection', (socket) => {
    open++
    most = Math.max(most, open)
    socket.on('close', () => open--)
  })
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }))
  process.on('message', () => process.send!({ most, cpu: process.cpuUsage() }))
} else {
  const IN_FLIGHT = Number(values['in-flight'])
  const SECONDS = Number(values.seconds)
  if (!(SECONDS >= 10 && SECONDS <= 600)) throw new Error('--seconds must be from 10 to 600')
  const dir = mkdtempSync(join(tmpdir(), 'checkin-load-tls-'))
  const child = (() => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    )
    return fork(fileURLToPath(import.meta.url), [
      '--serve',
      '--cert',
      join(dir, 'cert.pem'),
      '--key',
      join(dir, 'key.pem'),
      '--hold-ms',
      String(HOLD_MS),
    ])
  })()
  const guard = setTimeout(() => child.kill('SIGKILL'), (SECONDS + 120) * 1000)
  try {
    const port = await new Promise<number>((resolve) =>
      child.once('message', (m: { port: number }) => resolve(m.port)),
    )
    const profile = resolveProfile(
      'vets-api-checkin',
      {},
      { traffic: 'browser', origin: 'https://www.va.gov' },
    )
    const endpoints = endpointIds(profile)
    const visitsPerSecondAt1x = deriveRates(profile).flows.reduce((n, f) => n + f.perMinute / 60, 0)
    const visitMs = 8 * HOLD_MS
    const scale = IN_FLIGHT / ((visitMs / 1000) * visitsPerSecondAt1x)
    const rampS = Math.round(visitMs / 1000) + 5
    const recorder = new Recorder(endpoints)
    const perSecond: { inFlight: number; rssMb: number; lagP99: number }[] = []
    let holdLag: string[] = []
    const errorKinds: Record<string, number> = {}
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    const engine = new Engine({
      target: `https://127.0.0.1:${port}`,
      ca: readFileSync(join(dir, 'cert.pem')),
      flows: profile.flows,
      endpoints,
      stages: [
        { durationMs: rampS * 1000, target: 1 },
        { durationMs: (SECONDS - rampS) * 1000, target: 1 },
      ],
      scale,
      arrival: 'poisson',
      seed: 1,
      maxInFlight: Math.round(IN_FLIGHT * 1.5),
      timeoutMs: 30_000,
      connectionPerVisit: true,
      data: checkinVisitData('2026-12-04'),
      sink: recorder,
      hooks: {
        onSecond(t, share, inFlight) {
          const second = recorder.fold(t, share, { eventLoopLagMsP99: 0, cpuPct: 0, rssMb: 0, inFlight })
          const lag = Object.values(second.endpoints).map((e) => e.sendLag)
          for (const e of Object.values(second.endpoints))
            for (const [kind, n] of Object.entries(e.errors))
              errorKinds[kind] = (errorKinds[kind] ?? 0) + (n ?? 0)
          if (process.env.VERBOSE) console.error(t, inFlight, JSON.stringify(errorKinds))
          if (t >= rampS && t < SECONDS) holdLag = holdLag.concat(lag)
          perSecond.push({
            inFlight,
            rssMb: Math.round(process.memoryUsage.rss() / 2 ** 20),
            lagP99: second.generator.sendLagMsP99 ?? 0,
          })
        },
      },
    })
    const result = await engine.run()
    const cpu = process.cpuUsage(cpu0)
    const wallS = (performance.now() - t0) / 1000
    child.send('stats')
    const server = await new Promise<{ most: number; cpu: NodeJS.CpuUsage }>((resolve) =>
      child.once('message', (m: { most: number; cpu: NodeJS.CpuUsage }) => resolve(m)),
    )
    const totals = { requests: 0, ok: 0, errors: {} as Record<string, number> }
    // the recorder's running totals: every endpoint, preflights included
    totals.requests = recorder.totals.requests
    totals.ok = recorder.totals.ok
    const hold = perSecond.slice(rampS, SECONDS)
    const lag = mergeEncoded(holdLag)
    console.log(
      `browser visits, a TLS connection each, every request held ${HOLD_MS} ms: ${result.arrivals} visits at ${(scale * visitsPerSecondAt1x).toFixed(0)}/s (scale ${scale.toFixed(2)})`,
    )
    console.log(
      `in flight (= connections open) during the hold: min ${Math.min(...hold.map((s) => s.inFlight))}, max ${Math.max(...hold.map((s) => s.inFlight))}; the server saw at most ${server.most} connections open`,
    )
    console.log(
      `requests ${totals.requests} (ok ${totals.ok}, errors ${recorder.totals.errors} ${JSON.stringify(errorKinds)}, dropped ${recorder.totals.dropped}), connections opened ${result.connections}`,
    )
    console.log(
      `generator: RSS max ${Math.max(...perSecond.map((s) => s.rssMb))} MB, CPU ${(((cpu.user + cpu.system) / 1e6 / wallS) * 100).toFixed(0)}% of a core over ${wallS.toFixed(0)} s; ` +
        `send lag during the hold p50 ${(lag.getValueAtPercentile(50) / 1000).toFixed(2)} ms, p99 ${(lag.getValueAtPercentile(99) / 1000).toFixed(2)} ms, max ${(lag.maxValue / 1000).toFixed(1)} ms`,
    )
    console.log(
      `server: CPU ${(((server.cpu.user + server.cpu.system) / 1e6 / wallS) * 100).toFixed(0)}% of a core`,
    )
  } finally {
    clearTimeout(guard)
    child.kill()
    rmSync(dir, { recursive: true, force: true })
  }
}
