import assert from 'node:assert/strict'
import { test } from 'node:test'
import { hashString, lognormalParams, SeededRandom, Z99 } from './random.js'

test('the same seed gives the same sequence; another seed or stream another one', () => {
  const draw = (seed: number, stream = 0) => {
    const r = new SeededRandom(seed, stream)
    return Array.from({ length: 8 }, () => r.nextUint32())
  }
  assert.deepEqual(draw(42), draw(42))
  assert.notDeepEqual(draw(42), draw(43))
  assert.notDeepEqual(draw(42), draw(42, 1))
})

test('next() is uniform in [0, 1): mean and range over many draws', () => {
  const r = new SeededRandom(7)
  let sum = 0
  let min = 1
  let max = 0
  const n = 100_000
  for (let i = 0; i < n; i++) {
    const x = r.next()
    sum += x
    if (x < min) min = x
    if (x > max) max = x
  }
  assert.ok(min >= 0 && max < 1)
  assert.ok(Math.abs(sum / n - 0.5) < 0.01, `mean ${sum / n}`)
})

test('normal() has mean 0 and standard deviation 1', () => {
  const r = new SeededRandom(3)
  const n = 100_000
  let sum = 0
  let sq = 0
  for (let i = 0; i < n; i++) {
    const z = r.normal()
    sum += z
    sq += z * z
  }
  const mean = sum / n
  assert.ok(Math.abs(mean) < 0.02, `mean ${mean}`)
  assert.ok(Math.abs(Math.sqrt(sq / n - mean * mean) - 1) < 0.02)
})

test('hashString depends on the text and the seed, and is stable', () => {
  const uuid = 'd602d9eb-9a31-484f-9637-13ab0b507e0d'
  assert.equal(hashString(uuid, 1), hashString(uuid, 1))
  assert.notEqual(hashString(uuid, 1), hashString(uuid, 2))
  assert.notEqual(hashString(uuid, 1), hashString(uuid.replace('d', 'e'), 1))
})

for (const [mean, p99] of [
  [200, 600],
  [2000, 5000],
  [1, 10],
  [100, 1400],
] as const) {
  test(`lognormal from mean ${mean} ms and p99 ${p99} ms gives back both`, () => {
    const { mu, sigma } = lognormalParams(mean, p99)
    assert.ok(Math.abs(Math.exp(mu + (sigma * sigma) / 2) - mean) / mean < 1e-9, 'mean')
    assert.ok(Math.abs(Math.exp(mu + Z99 * sigma) - p99) / p99 < 1e-9, 'p99')
  })
}

test('lognormal edge cases: p99 <= mean is a constant; p99 beyond reach keeps the mean', () => {
  assert.deepEqual(lognormalParams(100, 100), { mu: Math.log(100), sigma: 0 })
  assert.deepEqual(lognormalParams(100, 50), { mu: Math.log(100), sigma: 0 })
  const wide = lognormalParams(10, 10_000)
  assert.equal(wide.sigma, Z99)
  assert.ok(Math.abs(Math.exp(wide.mu + (wide.sigma * wide.sigma) / 2) - 10) < 1e-9)
})

test('lognormal draws have the asked mean and p99 (sampled)', () => {
  const { mu, sigma } = lognormalParams(200, 800)
  const r = new SeededRandom(11)
  const n = 200_000
  const xs = Array.from({ length: n }, () => Math.exp(mu + sigma * r.normal())).sort((a, b) => a - b)
  const mean = xs.reduce((a, b) => a + b, 0) / n
  assert.ok(Math.abs(mean - 200) / 200 < 0.02, `mean ${mean}`)
  const p99 = xs[Math.floor(n * 0.99)]!
  assert.ok(Math.abs(p99 - 800) / 800 < 0.04, `p99 ${p99}`)
})
