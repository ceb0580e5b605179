import assert from 'node:assert/strict'
import { test } from 'node:test'
import { LIMITS } from '../config/schema.js'
import { ControlRefused } from './control.js'
import { Steering, userScaleLimit } from './steering.js'

function setup(options: { maxScale: number | null; steerable?: boolean } = { maxScale: 4 }) {
  let now = 1_000_000
  const applied: string[] = []
  const steering = new Steering(options, () => now)
  const changes: unknown[] = []
  steering.onChange((c) => changes.push(c))
  const load = {
    setUserScale: (x: number) => applied.push(`scale ${x}`),
    stop: () => applied.push('stop'),
  }
  return {
    steering,
    applied,
    changes,
    start: () => steering.start(load, 1_000_000),
    advance: (ms: number) => {
      now += ms
    },
  }
}

const refused = (status: number, pattern: RegExp) => (error: unknown) =>
  error instanceof ControlRefused && error.status === status && pattern.test(error.message)

test('nothing can be steered before time zero', () => {
  const { steering, applied } = setup()
  assert.throws(() => steering.setScale(2, 'api'), refused(409, /not started/))
  assert.throws(() => steering.stop('api'), refused(409, /not started/))
  assert.deepEqual(applied, [])
})

test('scale, pause, resume, stop: applied to the load and recorded with who, when, from and to', () => {
  const { steering, applied, changes, start, advance } = setup()
  start()
  advance(2_500)
  assert.deepEqual(steering.setScale(1.5, 'web'), {
    type: 'control',
    atMs: 2_500,
    who: 'web',
    action: 'scale',
    from: 1,
    to: 1.5,
  })
  advance(1_000)
  steering.pause('api')
  assert.throws(() => steering.pause('api'), refused(409, /paused already/))
  // while paused, a new scale waits for resume: the load stays at 0
  steering.setScale(2, 'api')
  steering.resume('web')
  assert.throws(() => steering.resume('web'), refused(409, /not paused/))
  steering.stop('api')
  assert.deepEqual(applied, ['scale 1.5', 'scale 0', 'scale 2', 'stop'])
  assert.deepEqual(
    changes.map((c) => {
      const { action, from, to, atMs } = c as { action: string; from: number; to: number; atMs: number }
      return `${atMs} ${action} ${from}->${to}`
    }),
    ['2500 scale 1->1.5', '3500 pause 1.5->0', '3500 scale 1.5->2', '3500 resume 0->2', '3500 stop 2->2'],
  )
  assert.equal(steering.state().phase, 'stopping')
  assert.throws(() => steering.setScale(1, 'api'), refused(409, /stopping/))
  steering.end()
  assert.throws(() => steering.stop('api'), refused(409, /ended/))
})

test("the scale is bounded by the run's limit; --no-limits lifts it", () => {
  const bounded = setup({ maxScale: 4 })
  bounded.start()
  assert.throws(() => bounded.steering.setScale(4.01, 'api'), refused(400, /over this run's limit of 4/))
  assert.throws(() => bounded.steering.setScale(-1, 'api'), refused(400, />= 0/))
  bounded.steering.setScale(4, 'api')
  const free = setup({ maxScale: null })
  free.start()
  free.steering.setScale(1000, 'api')
  assert.deepEqual(free.applied, ['scale 1000'])
  assert.equal(userScaleLimit(200, false), LIMITS.maxRps / 200)
  assert.equal(userScaleLimit(200, true), null)
})

test('capacity: only stop is offered', () => {
  const { steering, applied, start } = setup({ maxScale: 4, steerable: false })
  start()
  assert.throws(() => steering.setScale(2, 'web'), refused(409, /capacity/))
  assert.throws(() => steering.pause('web'), refused(409, /capacity/))
  steering.stop('web')
  assert.deepEqual(applied, ['stop'])
  assert.equal(steering.state().steerable, false)
})
