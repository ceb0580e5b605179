import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseStages } from '../config/parse.js'
import { shareAt, shareIntegralMs, stagesDurationMs } from './stages.js'

const stages = parseStages('10s:1,10s:1,10s:0')

for (const [ms, share] of [
  [0, 0],
  [5000, 0.5],
  [10_000, 1],
  [15_000, 1],
  [25_000, 0.5],
  [30_000, 0],
  [99_000, 0],
] as const) {
  test(`shareAt(${ms}) = ${share}`, () => assert.equal(shareAt(stages, ms), share))
}

test('stagesDurationMs adds the stages', () => assert.equal(stagesDurationMs(stages), 30_000))

test('shareIntegralMs is the area under shareAt', () => {
  assert.equal(shareIntegralMs(stages, 10_000), 5000) // ramp 0->1 over 10 s
  assert.equal(shareIntegralMs(stages, 20_000), 15_000)
  assert.equal(shareIntegralMs(stages, 30_000), 20_000)
  assert.equal(shareIntegralMs(stages, 40_000), 20_000)
  assert.equal(shareIntegralMs(parseStages('2s:1'), 1000), 250)
})
