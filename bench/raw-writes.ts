/**
 * The raw transport's request write, measured three ways: one string written as UTF-8, one string
 * written as latin1, one Buffer (Buffer.from of the string, as a prebuilt-bytes design would
 * concatenate). Each round runs each way for `seconds`: 50 keep-alive sockets, one request in
 * flight each (the engine's ResponseParser reads the answers), against a target (default: an
 * nginx on :18080 as in bench/engine-max.ts's config), and prints requests per CPU-second
 * (robust on a shared machine), medians over the rounds. Also a bare undici dispatch loop for
 * scale. Pin it: `taskset -c 0 node dist/bench/raw-writes.js`.
 *
 *   node dist/bench/raw-writes.js [--target http://127.0.0.1:18080] [--seconds 3] [--rounds 5]
 */
import { connect, type Socket } from 'node:net'
import { parseArgs } from 'node:util'
import { Client, type Dispatcher } from 'undici'
import { ResponseParser } from '../src/engine/raw/parser.js'
import { LegacyLoop, median, requestsPerCpuSecond, type Tally } from './dispatch-loops.js'

const { values } = parseArgs({
  options: {
    target: { type: 'string', default: 'http://127.0.0.1:18080' },
    seconds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '5' },
  },
})
const SECONDS = Number(values.seconds)
const CONNECTIONS = 50
const url = new URL(values.target)
const REQUEST = `GET /check_in/v2/patient_check_ins/d602d9eb-9a31-484f-9637-13ab0b507e0d HTTP/1.1\r\nhost: ${url.host}\r\nuser-agent: checkin-load/0.1\r\ncookie: vets_api_session=0123456789abcdef\r\n\r\n`

type Mode = 'utf8' | 'latin1' | 'buffer' | 'undici'
const MODES: readonly Mode[] = ['utf8', 'latin1', 'buffer', 'undici']

class RawLoop extends ResponseParser {
  private readonly socket: Socket
  constructor(
    private readonly mode: Mode,
    private readonly loop: Tally,
  ) {
    super()
    this.socket = connect({ host: url.hostname, port: Number(url.port) })
    this.socket.setNoDelay(true)
    this.socket.on('data', (chunk: Buffer) => {
      const end = this.execute(chunk, 0, chunk.length)
      if (end < 0) throw new Error(this.error)
      if (this.complete) {
        this.loop.done++
        if (!this.loop.stop) this.go()
      }
    })
    this.socket.on('error', () => {})
  }
  go(): void {
    this.resetParser(false)
    // a fresh string per request, as the engine renders one (a template concatenation)
    const request = REQUEST.slice(0, 4) + REQUEST.slice(4)
    if (this.mode === 'buffer') this.socket.write(Buffer.from(request, 'latin1'))
    else this.socket.write(request, this.mode === 'latin1' ? 'latin1' : 'utf8')
  }
  close(): void {
    this.socket.destroy()
  }
}

const UNDICI_GET: Dispatcher.DispatchOptions = {
  path: '/check_in/v2/patient_check_ins/d602d9eb-9a31-484f-9637-13ab0b507e0d',
  method: 'GET',
  headers: ['user-agent', 'checkin-load/0.1', 'cookie', 'vets_api_session=0123456789abcdef'],
}

async function measure(mode: Mode): Promise<number> {
  const tally: Tally = { done: 0, stop: false }
  if (mode === 'undici') {
    const loops = Array.from(
      { length: CONNECTIONS },
      () => new LegacyLoop(new Client(values.target, { pipelining: 1 }), tally, UNDICI_GET),
    )
    return requestsPerCpuSecond(loops, tally, SECONDS, () =>
      Promise.all(loops.map((l) => l.client.destroy().catch(() => {}))),
    )
  }
  const loops = Array.from({ length: CONNECTIONS }, () => new RawLoop(mode, tally))
  return requestsPerCpuSecond(loops, tally, SECONDS, async () => {
    for (const l of loops) l.close()
  })
}

const results: Record<Mode, number[]> = { utf8: [], latin1: [], buffer: [], undici: [] }
for (let round = 0; round < Number(values.rounds); round++) {
  const order = round % 2 === 0 ? MODES : [...MODES].reverse()
  for (const mode of order) results[mode].push(await measure(mode))
}
console.log(
  JSON.stringify({
    requestsPerCpuSecond: Object.fromEntries(MODES.map((mode) => [mode, Math.round(median(results[mode]))])),
  }),
)
