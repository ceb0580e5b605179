import assert from 'node:assert/strict'
import { createSocket, type Socket } from 'node:dgram'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { isCheckinLoadError } from '../errors.js'
import { ERROR_KINDS } from '../model/error-kinds.js'
import type { SeriesSecond } from '../model/results.js'
import {
  DogStatsdExporter,
  distributionKey,
  distributionValue,
  parseDogStatsdAddress,
  sampleRateFor,
  tagValue,
} from './dogstatsd.js'
import { Recorder } from './recorder.js'

const ENDPOINTS = ['get_session', 'post_session', 'get_pre_check_in']
const METHODS = { get_session: 'GET', post_session: 'POST', get_pre_check_in: 'GET' }
const FLOWS = [
  { name: 'check_in', endpoints: ['get_session', 'post_session'] },
  { name: 'pre_check_in', endpoints: ['get_session', 'post_session', 'get_pre_check_in'] },
]

/** A DogStatsD line: name:value[:value…]|type[|@rate][|#tags][|other fields]. */
interface Line {
  name: string
  /** the first value */
  value: number
  values: number[]
  type: string
  rate: number
  tags: Record<string, string>
}

function parseLine(text: string): Line {
  const [head, type, ...fields] = text.split('|')
  const [name, ...values] = head!.split(':').map((x, i) => (i === 0 ? x : Number(x))) as [string, ...number[]]
  const line: Line = { name, value: values[0]!, values, type: type!, rate: 1, tags: {} }
  assert.ok(values.length > 0 && values.every(Number.isFinite), text)
  for (const field of fields) {
    if (field.startsWith('@')) line.rate = Number(field.slice(1))
    else if (field.startsWith('#'))
      for (const tag of field.slice(1).split(',')) {
        const c = tag.indexOf(':')
        line.tags[c < 0 ? tag : tag.slice(0, c)] = c < 0 ? '' : tag.slice(c + 1)
      }
  }
  return line
}

/** A DogStatsD agent stand-in: a UDP socket on 127.0.0.1 that keeps every line it gets. */
async function listen(): Promise<{ socket: Socket; port: number; lines: Line[]; packets: Buffer[] }> {
  const socket = createSocket('udp4')
  const lines: Line[] = []
  const packets: Buffer[] = []
  socket.on('message', (msg) => {
    packets.push(msg)
    for (const text of msg.toString('utf8').split('\n')) if (text !== '') lines.push(parseLine(text))
  })
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  return { socket, port: (socket.address() as AddressInfo).port, lines, packets }
}

/** Waits (at most 5 s) until the condition holds: UDP on loopback arrives soon after the send. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

function syntheticSecond(latenciesMs: number[]): SeriesSecond {
  const recorder = new Recorder(ENDPOINTS)
  for (const ms of latenciesMs) {
    recorder.sent(0, 0, 0.1)
    recorder.response(0, 200, -1, 0, 0.1, ms)
  }
  recorder.sent(1, 0, 0)
  recorder.response(1, 503, ERROR_KINDS.indexOf('http_5xx'), 0, 0, 80)
  recorder.sent(1, 0, 0)
  recorder.failed(1, ERROR_KINDS.indexOf('timeout'))
  recorder.dropped(2)
  recorder.dropped(2)
  return recorder.fold(0, 0.25, { eventLoopLagMsP99: 1.25, cpuPct: 37.5, rssMb: 64, inFlight: 9 })
}

const percentile = (sorted: number[], p: number) => sorted[Math.ceil((p / 100) * sorted.length) - 1]!

test('one second as DogStatsD lines: names, types, values, tags', async () => {
  const agent = await listen()
  try {
    // 3000 latencies, log-spread 2 ms .. 2 s, many repeated
    const latencies = Array.from(
      { length: 3000 },
      (_, i) => Math.round(2 * 1000 ** ((i % 1500) / 1500) * 100) / 100,
    )
    const exporter = new DogStatsdExporter({
      address: `127.0.0.1:${agent.port}`,
      runId: 'run-7',
      shard: { index: 1, count: 2 },
      tags: ['env:staging', 'canary'],
      endpoints: ENDPOINTS,
      methods: METHODS,
      flows: FLOWS,
    })
    exporter.onSecond(syntheticSecond(latencies), { expectedRps: { get_session: 41.5 } })
    exporter.onThresholds([{ metric: 'http_req_failed', expr: 'rate<0.01', value: 0.5, ok: false }])
    await exporter.close()
    const reconstructed = () =>
      agent.lines
        .filter((l) => l.name === 'checkin_load.request_duration' && l.tags.endpoint === 'get_session')
        .reduce((n, l) => n + l.values.length * Math.trunc(1 / l.rate), 0)
    await until(
      () =>
        reconstructed() === latencies.length &&
        agent.lines.some((l) => l.name === 'checkin_load.threshold_ok'),
      'all lines',
    )
    assert.equal(exporter.errors, 0)

    for (const line of agent.lines) {
      assert.equal(line.tags.run_id, 'run-7', JSON.stringify(line))
      assert.equal(line.tags.shard, '1')
      assert.equal(line.tags.env, 'staging')
      assert.equal(line.tags.canary, '')
    }
    const one = (name: string, tags: Record<string, string> = {}) => {
      const found = agent.lines.filter(
        (l) => l.name === name && Object.entries(tags).every(([k, v]) => l.tags[k] === v),
      )
      assert.equal(found.length, 1, `${name} ${JSON.stringify(tags)}: ${found.length} lines`)
      return found[0]!
    }
    const ok = one('checkin_load.requests', { endpoint: 'get_session', status: '200' })
    assert.deepEqual([ok.type, ok.value, ok.tags.method, ok.tags.flow], ['c', 3000, 'GET', undefined])
    const s503 = one('checkin_load.requests', { endpoint: 'post_session', status: '503' })
    assert.deepEqual([s503.type, s503.value, s503.tags.method], ['c', 1, 'POST'])
    assert.equal(one('checkin_load.requests', { endpoint: 'post_session', status: 'timeout' }).value, 1)
    const timeout = one('checkin_load.errors', { endpoint: 'post_session', kind: 'timeout' })
    assert.deepEqual([timeout.type, timeout.value], ['c', 1])
    assert.equal(one('checkin_load.errors', { kind: 'http_5xx' }).value, 1)
    const dropped = one('checkin_load.dropped', { endpoint: 'get_pre_check_in' })
    assert.deepEqual([dropped.type, dropped.value, dropped.tags.flow], ['c', 2, 'pre_check_in'])
    assert.deepEqual([one('checkin_load.asked_rps', { endpoint: 'get_session' }).value], [41.5])
    assert.equal(one('checkin_load.asked_rps', { endpoint: 'get_pre_check_in' }).value, 2) // no schedule rate: asked
    assert.equal(one('checkin_load.achieved_rps', { endpoint: 'post_session' }).value, 2)
    for (const [name, value] of [
      ['checkin_load.in_flight', 9],
      ['checkin_load.share', 0.25],
      ['checkin_load.event_loop_lag_p99', 1.25],
      ['checkin_load.cpu', 37.5],
      ['checkin_load.rss', 64 * 1_048_576],
    ] as const) {
      const line = one(name)
      assert.deepEqual([line.type, line.value], ['g', value], name)
    }
    const threshold = one('checkin_load.threshold_ok')
    assert.deepEqual(
      [threshold.type, threshold.value, threshold.tags.threshold],
      ['g', 0, 'http_req_failed_rate<0.01'],
    )

    // the distribution: type d, ms, endpoint+method tags, counts exact, values within 1 %
    const dist = agent.lines.filter((l) => l.name === 'checkin_load.request_duration')
    const methods: Record<string, string> = METHODS
    for (const l of dist) assert.deepEqual([l.type, l.tags.method], ['d', methods[l.tags.endpoint!]])
    const ofGet = dist.filter((l) => l.tags.endpoint === 'get_session')
    const samples = ofGet
      .flatMap((l) => l.values.flatMap((v) => Array<number>(Math.trunc(1 / l.rate)).fill(v)))
      .sort((a, b) => a - b)
    assert.equal(samples.length, 3000)
    // 1500 distinct values merge into 1 % buckets, sent one line per distinct count
    const buckets = ofGet.reduce((n, l) => n + l.values.length, 0)
    assert.ok(buckets < 400, `${buckets} buckets`)
    assert.ok(ofGet.length < 30, `${ofGet.length} lines`)
    const exact = [...latencies].sort((a, b) => a - b)
    for (const p of [50, 90, 95, 99, 100]) {
      const got = percentile(samples, p)
      const want = percentile(exact, p)
      assert.ok(Math.abs(got - want) / want <= 0.0125, `p${p}: ${got} vs ${want}`)
    }
    const ofPost = dist.filter((l) => l.tags.endpoint === 'post_session') // the 503's 80 ms
    assert.deepEqual([ofPost.length, ofPost[0]!.values.length, ofPost[0]!.rate], [1, 1, 1])
    assert.ok(Math.abs(ofPost[0]!.value - 80) / 80 <= 0.01006, String(ofPost[0]!.value))
    // batched: every datagram within the UDP budget, many lines per datagram
    for (const p of agent.packets) assert.ok(p.length <= 1432, `datagram of ${p.length} bytes`)
    assert.ok(
      agent.packets.length * 3 < agent.lines.length,
      `${agent.packets.length} datagrams, ${agent.lines.length} lines`,
    )
  } finally {
    agent.socket.close()
  }
})

test('send failures never throw: counted, reported once, the run goes on', async () => {
  const agent = await listen()
  const messages: string[] = []
  try {
    // every line larger than a UDP datagram can be (64 KiB): each flush fails in the socket
    const exporter = new DogStatsdExporter({
      address: `127.0.0.1:${agent.port}`,
      runId: 'r',
      tags: [`pad:${'x'.repeat(70_000)}`],
      endpoints: ENDPOINTS,
      methods: METHODS,
      maxBufferBytes: 200_000,
      onError: (e) => messages.push(e.message),
    })
    exporter.onSecond(syntheticSecond([5, 6, 7]), { expectedRps: {} })
    exporter.onSecond(syntheticSecond([5, 6, 7]), { expectedRps: {} })
    await exporter.close()
    await until(() => exporter.errors >= 2, 'the send errors')
    assert.equal(messages.length, 1)
    assert.match(messages[0]!, /EMSGSIZE|too long|message/i)
  } finally {
    agent.socket.close()
  }
})

test('nothing listening on the agent port: no error escapes', async () => {
  const agent = await listen()
  const port = agent.port
  await new Promise<void>((resolve) => agent.socket.close(resolve))
  const exporter = new DogStatsdExporter({
    address: `127.0.0.1:${port}`,
    runId: 'r',
    endpoints: ENDPOINTS,
    methods: METHODS,
  })
  for (let t = 0; t < 3; t++) exporter.onSecond(syntheticSecond([5, 6, 7]), { expectedRps: {} })
  await exporter.close()
  await exporter.close()
})

const ADDRESSES: Array<[string, { host: string; port: number }]> = [
  ['127.0.0.1:8125', { host: '127.0.0.1', port: 8125 }],
  ['localhost:8125', { host: 'localhost', port: 8125 }],
  ['datadog-agent.monitoring.svc:8125', { host: 'datadog-agent.monitoring.svc', port: 8125 }],
  ['[::1]:9125', { host: '::1', port: 9125 }],
  [' 127.0.0.1:1 ', { host: '127.0.0.1', port: 1 }],
]
for (const [text, expected] of ADDRESSES)
  test(`parseDogStatsdAddress(${JSON.stringify(text)})`, () =>
    assert.deepEqual(parseDogStatsdAddress(text), expected))

for (const text of ['8125', 'host:', ':8125', 'host:0', 'host:65536', '::1:8125', 'host:81x', 'a b:8125'])
  test(`parseDogStatsdAddress refuses ${JSON.stringify(text)}`, () =>
    assert.throws(
      () => parseDogStatsdAddress(text),
      (e: unknown) => isCheckinLoadError(e) && e.exitCode === 2 && /--dogstatsd/.test(e.message),
    ))

test('sampleRateFor: the agent reads back exactly the count (trunc(1/rate))', () => {
  for (let count = 1; count <= 100_000; count++) {
    const rate = Number(sampleRateFor(count))
    assert.ok(rate > 0 && rate <= 1)
    if (Math.trunc(1 / rate) !== count)
      assert.fail(`count ${count}: rate ${rate} reads back ${Math.trunc(1 / rate)}`)
  }
  assert.equal(sampleRateFor(1), '1')
  assert.equal(sampleRateFor(4), '0.25')
})

test('distribution buckets: every value within 1 % of the value sent for it', () => {
  for (let ms = 0.001; ms < 3_600_000; ms *= 1.0007) {
    const sent = Number(distributionValue(distributionKey(ms)))
    // 1 % from the bucket, 0.005 % from printing 5 significant digits
    assert.ok(Math.abs(sent - ms) / ms <= 0.01006, `${ms} ms sent as ${sent}`)
  }
})

for (const [raw, clean] of [
  ['post_session', 'post_session'],
  ['a,b|c#d e\nf', 'a_b_c_d_e_f'],
  ['us:east', 'us:east'],
] as const)
  test(`tagValue(${JSON.stringify(raw)})`, () => assert.equal(tagValue(raw), clean))
