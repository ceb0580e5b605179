import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng } from './rng.js'

const take = (n: number, f: () => number) => Array.from({ length: n }, f)

test('the same seed and stream give the same numbers', () => {
  const a = createRng(42, 3)
  const b = createRng(42, 3)
  assert.deepEqual(
    take(100, () => a.nextUint32()),
    take(100, () => b.nextUint32()),
  )
})

test('other seeds and other streams give other numbers', () => {
  const first = take(8, () => createRng(42, 0).nextUint32())
  const base = createRng(42, 0)
  const seq = take(8, () => base.nextUint32())
  const otherSeed = createRng(43, 0)
  const otherStream = createRng(42, 1)
  assert.notDeepEqual(
    take(8, () => otherSeed.nextUint32()),
    seq,
  )
  assert.notDeepEqual(
    take(8, () => otherStream.nextUint32()),
    seq,
  )
  assert.equal(first.length, 8)
})

test('large and negative seeds are accepted', () => {
  for (const seed of [-1, 0, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER]) {
    const value = createRng(seed).next()
    assert.ok(value >= 0 && value < 1, `seed ${seed} -> ${value}`)
  }
  assert.notEqual(createRng(2 ** 40).nextUint32(), createRng(0).nextUint32())
})

test('next() is uniform on [0, 1): mean, spread and buckets', () => {
  const rng = createRng(7)
  const n = 200_000
  const buckets = new Array(10).fill(0)
  let sum = 0
  for (let i = 0; i < n; i++) {
    const x = rng.next()
    assert.ok(x >= 0 && x < 1)
    sum += x
    buckets[Math.floor(x * 10)]++
  }
  assert.ok(Math.abs(sum / n - 0.5) < 0.005, `mean ${sum / n}`)
  for (const count of buckets) assert.ok(Math.abs(count / n - 0.1) < 0.005, `bucket ${count / n}`)
})

test('exponential() has mean 1 and variance 1', () => {
  const rng = createRng(11)
  const n = 200_000
  let sum = 0
  let sumSq = 0
  for (let i = 0; i < n; i++) {
    const x = rng.exponential()
    assert.ok(Number.isFinite(x) && x >= 0)
    sum += x
    sumSq += x * x
  }
  const mean = sum / n
  const variance = sumSq / n - mean * mean
  assert.ok(Math.abs(mean - 1) < 0.01, `mean ${mean}`)
  assert.ok(Math.abs(variance - 1) < 0.03, `variance ${variance}`)
})
