import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Stage } from '../config/parse.js'
import { ArrivalStream, ConstantProcess, PoissonProcess } from './arrivals.js'
import { createRng } from './rng.js'
import { USER_SCALE_RAMP_MS, UserScaleSchedule } from './user-scale.js'

const HOLD: Stage[] = [{ durationMs: 60_000, target: 1 }]
/** 100 arrivals a second at share 1 */
const RATE = 0.1

/** Arrival times up to `untilMs`, applying each change when the stream reaches its time (as the engine does). */
function arrivals(
  changes: readonly { atMs: number; scale: number }[],
  options: {
    stages?: Stage[]
    untilMs?: number
    poisson?: boolean
    shard?: { index: number; count: number }
  } = {},
): number[] {
  const stages = options.stages ?? HOLD
  const schedule = new UserScaleSchedule(stages, 1)
  const process = options.poisson
    ? new PoissonProcess(createRng(7, 0), options.shard)
    : new ConstantProcess(options.shard)
  const stream = new ArrivalStream(process, stages, RATE, 60_000, 1, schedule)
  const pending = [...changes]
  const out: number[] = []
  const until = options.untilMs ?? 20_000
  for (;;) {
    const next = pending[0]
    if (next && next.atMs <= Math.min(stream.nextMs, until)) {
      schedule.set(next.atMs, next.scale)
      stream.reschedule()
      pending.shift()
      continue
    }
    if (stream.nextMs >= until) break
    out.push(stream.nextMs)
    stream.advance()
  }
  return out
}

const countIn = (times: readonly number[], from: number, to: number) =>
  times.filter((t) => t >= from && t < to).length

test('untouched: the stages alone', () => {
  const schedule = new UserScaleSchedule(HOLD)
  assert.equal(schedule.untouched, true)
  assert.equal(schedule.stageAreaFor(1234.5), 1234.5)
  assert.equal(countIn(arrivals([]), 0, 10_000), 1000)
})

test('a scale multiplies the share from its time on, reached over one second in even steps', () => {
  const times = arrivals([{ atMs: 5_000, scale: 2 }])
  assert.equal(countIn(times, 0, 5_000), 500)
  // the ramp: 1.1x, 1.2x ... 2x in 100 ms steps
  const steps = Array.from({ length: 10 }, (_, i) => countIn(times, 5_000 + i * 100, 5_100 + i * 100))
  assert.deepEqual(steps, [11, 12, 13, 14, 15, 16, 17, 18, 19, 20])
  assert.equal(countIn(times, 5_000 + USER_SCALE_RAMP_MS, 10_000 + USER_SCALE_RAMP_MS), 1000)
  assert.equal(countIn(times, 10_000, 20_000), 2000)
})

test('pause stops the arrivals at once; resume ramps back to the scale in force before', () => {
  const times = arrivals([
    { atMs: 4_000, scale: 1.5 },
    { atMs: 8_000, scale: 0 },
    { atMs: 12_000, scale: 1.5 },
  ])
  assert.equal(countIn(times, 8_000, 12_000), 0)
  assert.ok(countIn(times, 7_000, 8_000) === 150)
  const ramp = countIn(times, 12_000, 13_000)
  assert.ok(ramp > 0 && ramp < 150, `ramp ${ramp}`)
  assert.equal(countIn(times, 13_000, 14_000), 150)
})

test('a change replaces the rest of an earlier ramp', () => {
  const times = arrivals([
    { atMs: 5_000, scale: 3 },
    { atMs: 5_300, scale: 1 },
  ])
  assert.equal(countIn(times, 6_300, 7_300), 100)
  const schedule = new UserScaleSchedule(HOLD)
  schedule.set(5_000, 3)
  schedule.set(5_300, 1)
  assert.equal(schedule.target, 1)
  assert.ok(schedule.scaleAt(5_250) > 1 && schedule.scaleAt(5_250) < 3)
  assert.equal(schedule.scaleAt(10_000), 1)
})

test('a paused stream is over until resumed; a stream that ran past the end comes back when the scale rises', () => {
  const schedule = new UserScaleSchedule(HOLD, 1)
  const stream = new ArrivalStream(new ConstantProcess(), HOLD, RATE, 60_000, 1, schedule)
  schedule.set(0, 0)
  stream.reschedule()
  assert.equal(stream.nextMs, Number.POSITIVE_INFINITY)
  schedule.set(3_000, 1)
  stream.reschedule()
  assert.ok(stream.nextMs > 3_000 && stream.nextMs < 3_200, String(stream.nextMs))
})

test('poisson: the scale holds in the long run, and N shards under one schedule make the one stream', () => {
  const changes = [
    { atMs: 2_000, scale: 3 },
    { atMs: 9_000, scale: 0 },
    { atMs: 11_000, scale: 0.5 },
  ]
  const whole = arrivals(changes, { poisson: true })
  const expected = 300 * 6 // 3x the 100/s over [3 s, 9 s)
  const got = countIn(whole, 3_000, 9_000)
  assert.ok(Math.abs(got - expected) < 4 * Math.sqrt(expected), `${got} vs ${expected}`)
  assert.equal(countIn(whole, 9_000, 11_000), 0)
  const shards = [0, 1, 2].flatMap((index) =>
    arrivals(changes, { poisson: true, shard: { index, count: 3 } }),
  )
  assert.deepEqual(
    shards.sort((a, b) => a - b),
    whole,
  )
})
