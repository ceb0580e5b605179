import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { test } from 'node:test'
import { parentLink } from './child-link.js'
import { WORKER_ENV, type WorkerMessage } from './protocol.js'

/** Enough of a forked process for the link: env, send, connected, disconnect, channel. */
class FakeProcess extends EventEmitter {
  env: Record<string, string> = { [WORKER_ENV]: '1' }
  connected = true
  readonly sent: WorkerMessage[] = []
  refs = 0
  readonly channel = {
    ref: () => {
      this.refs++
    },
    unref: () => {
      this.refs = Math.max(0, this.refs - 1)
    },
  }
  send(message: WorkerMessage, callback?: (error: Error | null) => void): boolean {
    this.sent.push(message)
    callback?.(null)
    return true
  }
  disconnect(): void {
    this.connected = false
    this.emit('disconnect')
  }
}

const link = (proc: FakeProcess) => parentLink(proc as unknown as NodeJS.Process)!

function run() {
  const calls: string[] = []
  return { calls, stop: () => calls.push('stop'), abort: () => calls.push('abort') }
}

test('no link unless forked as a worker', () => {
  const proc = new FakeProcess()
  proc.env = {}
  assert.equal(parentLink(proc as unknown as NodeJS.Process), undefined)
})

test('ready, then the shared start time from the parent', async () => {
  const proc = new FakeProcess()
  const l = link(proc)
  const start = l.startAt()
  assert.deepEqual(proc.sent, [{ type: 'ready' }])
  assert.equal(proc.refs, 1, 'the channel keeps the worker alive while it waits')
  proc.emit('message', { type: 'start', atMs: 1234 })
  assert.equal(await start, 1234)
  assert.equal(proc.refs, 0)
})

test('the series lines go to the parent; totals at the end, then the channel is let go', async () => {
  const proc = new FakeProcess()
  const l = link(proc)
  l.observer.onEnd?.({ type: 'end', endedAt: 'x', reason: 'completed', abandonedInFlight: 0 })
  const engine = {
    arrivals: 10,
    droppedArrivals: 1,
    connections: 2,
    waitedForConnection: 0,
    abandonedInFlight: 0,
    stopped: false,
    aborted: false,
  }
  await l.finish({ runDir: 'r', engine })
  assert.deepEqual(
    proc.sent.map((m) => m.type),
    ['end', 'totals'],
  )
  assert.deepEqual(proc.sent[1], { type: 'totals', totals: engine, runDir: 'r' })
  assert.equal(proc.connected, false)
})

test('stop and abort from the parent reach the run, even before it is under control', () => {
  const proc = new FakeProcess()
  const l = link(proc)
  proc.emit('message', { type: 'stop' })
  const r = run()
  l.control(r)
  assert.deepEqual(r.calls, ['stop'])
  proc.emit('message', { type: 'abort' })
  assert.deepEqual(r.calls, ['stop', 'abort'])
  proc.emit('message', { type: 'something else' })
  assert.deepEqual(r.calls, ['stop', 'abort'])
})

test('the parent going away stops the run gracefully and releases a worker waiting to start', async () => {
  const proc = new FakeProcess()
  const l = link(proc)
  const r = run()
  l.control(r)
  const start = l.startAt()
  const before = Date.now()
  proc.disconnect()
  assert.ok((await start) >= before)
  assert.deepEqual(r.calls, ['stop'])
})

test('the user scale (run --web) reaches the run with its shared time, also when set before the run is handed over', () => {
  const proc = new FakeProcess()
  const l = link(proc)
  proc.emit('message', { type: 'scale', scale: 2, atMs: 5000 })
  const calls: string[] = []
  const steered = {
    stop: () => calls.push('stop'),
    abort: () => calls.push('abort'),
    setUserScale: (scale: number, atMs?: number) => calls.push(`scale ${scale} at ${atMs}`),
  }
  l.control(steered)
  proc.emit('message', { type: 'scale', scale: 0, atMs: 6000 })
  proc.emit('message', { type: 'scale', scale: 'x', atMs: 7000 })
  assert.deepEqual(calls, ['scale 2 at 5000', 'scale 0 at 6000'])
})
