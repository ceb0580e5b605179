import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  bracket,
  type Decision,
  maxSteps,
  nextDecision,
  type SearchSettings,
  type StepOutcome,
  type StepResult,
  settingsProblem,
} from './search.js'

const SETTINGS: SearchSettings = { start: 0.1, factor: 1.5, precision: 0.05, maxShare: 10, minShare: 0.01 }

/** Drives the search with a fake judge until it decides; returns the shares tried and the decision. */
function walk(
  judge: (share: number) => StepResult,
  settings: SearchSettings = SETTINGS,
): { shares: number[]; phases: string[]; done: Extract<Decision, { kind: 'done' }> } {
  const history: StepOutcome[] = []
  const phases: string[] = []
  const bound = maxSteps(settings)
  for (let i = 0; i <= bound; i++) {
    const decision = nextDecision(settings, history)
    if (decision.kind === 'done') return { shares: history.map((s) => s.share), phases, done: decision }
    phases.push(decision.phase)
    history.push({ share: decision.share, result: judge(decision.share) })
  }
  throw new Error(`no decision within maxSteps = ${bound}`)
}

const knee = (capacity: number) => (share: number) => (share <= capacity ? 'pass' : 'fail') as StepResult

test('the first step is the start share', () => {
  assert.deepEqual(nextDecision(SETTINGS, []), { kind: 'step', share: 0.1, phase: 'ramp' })
})

for (const [history, expected] of [
  // ramp x1.5 while it holds
  [[{ share: 0.1, result: 'pass' }], { kind: 'step', share: 0.15, phase: 'ramp' }],
  // a ramp that would jump over 1x tests 1x
  [[{ share: 0.759375, result: 'pass' }], { kind: 'step', share: 1, phase: 'ramp' }],
  [[{ share: 1, result: 'pass' }], { kind: 'step', share: 1.5, phase: 'ramp' }],
  // the ramp stops at max-scale, and a pass there ends the search
  [[{ share: 8, result: 'pass' }], { kind: 'step', share: 10, phase: 'ramp' }],
  [[{ share: 10, result: 'pass' }], { kind: 'done', verdict: { kind: 'above_max', held: 10 } }],
  // bisection: geometric midpoint of held and failed
  [
    [
      { share: 0.4, result: 'pass' },
      { share: 0.9, result: 'fail' },
    ],
    { kind: 'step', share: 0.6, phase: 'bisect' },
  ],
  // a bracket around 1x tests 1x first
  [
    [
      { share: 0.9, result: 'pass' },
      { share: 1.35, result: 'fail' },
    ],
    { kind: 'step', share: 1, phase: 'bisect' },
  ],
  // gap under 5%: done
  [
    [
      { share: 0.58, result: 'pass' },
      { share: 0.6, result: 'fail' },
    ],
    { kind: 'done', verdict: { kind: 'found', held: 0.58, failed: 0.6 } },
  ],
  // the first step fails: measure it once more (a cold target), then descend
  [[{ share: 0.1, result: 'fail' }], { kind: 'step', share: 0.1, phase: 'confirm' }],
  [
    [
      { share: 0.1, result: 'fail' },
      { share: 0.1, result: 'fail' },
    ],
    { kind: 'step', share: 0.06667, phase: 'descend' },
  ],
  // the re-measurement supersedes: ramp on
  [
    [
      { share: 0.1, result: 'fail' },
      { share: 0.1, result: 'pass' },
    ],
    { kind: 'step', share: 0.15, phase: 'ramp' },
  ],
  [
    [
      { share: 0.015, result: 'fail' },
      { share: 0.01, result: 'fail' },
    ],
    { kind: 'done', verdict: { kind: 'below_min', failed: 0.01 } },
  ],
  // an untrusted generator ends it, keeping what was known
  [
    [
      { share: 0.1, result: 'pass' },
      { share: 0.15, result: 'untrusted' },
    ],
    { kind: 'done', verdict: { kind: 'generator_limited', share: 0.15, held: 0.1 } },
  ],
] as const) {
  test(`nextDecision after ${JSON.stringify(history)}`, () => {
    assert.deepEqual(nextDecision(SETTINGS, history as readonly StepOutcome[]), expected)
  })
}

test('a pass above a lower failure (noise at the knee) does not widen the bracket', () => {
  assert.deepEqual(
    bracket([
      { share: 0.5, result: 'pass' },
      { share: 0.75, result: 'fail' },
      { share: 0.61, result: 'fail' },
      { share: 0.7, result: 'pass' },
    ]),
    { held: 0.5, failed: 0.61 },
  )
})

test('ramp then bisect to the knee of the 2022 twin (0.584x), within 5%', () => {
  const { shares, phases, done } = walk(knee(0.584))
  assert.deepEqual(shares, [0.1, 0.15, 0.225, 0.3375, 0.5063, 0.7594, 0.6201, 0.5603, 0.5894, 0.5747])
  assert.deepEqual(phases, [
    'ramp',
    'ramp',
    'ramp',
    'ramp',
    'ramp',
    'ramp',
    'bisect',
    'bisect',
    'bisect',
    'bisect',
  ])
  assert.equal(done.verdict.kind, 'found')
  if (done.verdict.kind !== 'found') return
  assert.ok(done.verdict.held <= 0.584 && done.verdict.failed > 0.584)
  assert.ok((done.verdict.failed - done.verdict.held) / done.verdict.held < 0.05)
})

for (const capacity of [0.02, 0.099, 0.1, 0.37, 0.584, 0.999, 1, 1.168, 3.3, 9.9]) {
  test(`the search brackets a knee at ${capacity}x within the precision`, () => {
    const { shares, done } = walk(knee(capacity))
    assert.equal(done.verdict.kind, 'found')
    if (done.verdict.kind !== 'found') return
    assert.ok(done.verdict.held <= capacity, `held ${done.verdict.held}`)
    assert.ok(done.verdict.failed > capacity, `failed ${done.verdict.failed}`)
    assert.ok((done.verdict.failed - done.verdict.held) / done.verdict.held < 0.05)
    assert.ok(shares.length <= 16, `${shares.length} steps`)
  })
}

test('1x is tested whenever the walk would otherwise jump over it', () => {
  for (const capacity of [0.76, 0.99, 1, 1.01, 1.168, 4]) {
    const { shares } = walk(knee(capacity))
    assert.ok(shares.includes(1), `capacity ${capacity}: ${shares}`)
  }
})

test('a target that holds everything ends at max-scale', () => {
  const { shares, done } = walk(() => 'pass', { ...SETTINGS, maxShare: 3 })
  assert.deepEqual(done.verdict, { kind: 'above_max', held: 3 })
  assert.equal(shares.at(-1), 3)
  assert.ok(shares.every((s) => s <= 3))
})

test('a target that holds nothing ends at min-scale', () => {
  const { shares, done } = walk(() => 'fail')
  assert.deepEqual(done.verdict, { kind: 'below_min', failed: 0.01 })
  assert.ok(shares.every((s) => s >= 0.01))
})

test('a coarser precision takes fewer steps', () => {
  const fine = walk(knee(0.584)).shares.length
  const coarse = walk(knee(0.584), { ...SETTINGS, precision: 0.2 }).shares.length
  assert.ok(coarse < fine, `${coarse} < ${fine}`)
})

test('the generator becoming the bottleneck mid-ramp ends the search without a capacity', () => {
  const { done } = walk((share) => (share > 0.3 ? 'untrusted' : 'pass'))
  assert.deepEqual(done.verdict, { kind: 'generator_limited', share: 0.3375, held: 0.225 })
})

for (const [settings, problem] of [
  [{ ...SETTINGS, start: 0 }, /--start/],
  [{ ...SETTINGS, factor: 1 }, /--factor/],
  [{ ...SETTINGS, precision: 0 }, /--precision/],
  [{ ...SETTINGS, maxShare: 0.05 }, /--max-scale/],
  [{ ...SETTINGS, minShare: 0.2 }, /--min-scale/],
] as const) {
  test(`settingsProblem refuses ${problem}`, () => assert.match(settingsProblem(settings) ?? '', problem))
}

test('settingsProblem accepts the defaults', () => assert.equal(settingsProblem(SETTINGS), undefined))
