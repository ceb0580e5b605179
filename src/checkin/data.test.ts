import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  checkinVisitData,
  isoDate,
  type RandomSource,
  randomDob,
  randomUuidV4,
  VISIT_VARIABLES,
} from './data.js'

/** mulberry32: a seeded source for the tests (the engine injects its own generator) */
function createRng(seed: number): RandomSource {
  let a = seed >>> 0
  return {
    nextUint32() {
      a = (a + 0x6d2b79f5) >>> 0
      let t = a
      t = Math.imul(t ^ (t >>> 15), t | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      return (t ^ (t >>> 14)) >>> 0
    },
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const DOB = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$/

test('UUIDs are v4, lowercase, as vets-api validates; distinct; reproducible', () => {
  const rng = createRng(1)
  const seen = new Set<string>()
  for (let i = 0; i < 10_000; i++) {
    const uuid = randomUuidV4(rng)
    assert.match(uuid, UUID)
    seen.add(uuid)
  }
  assert.equal(seen.size, 10_000)
  assert.equal(randomUuidV4(createRng(5)), randomUuidV4(createRng(5)))
})

test('birth dates are valid YYYY-MM-DD between 1930 and 2005', () => {
  const rng = createRng(2)
  for (let i = 0; i < 5000; i++) {
    const dob = randomDob(rng)
    assert.match(dob, DOB)
    const year = Number(dob.slice(0, 4))
    assert.ok(year >= 1930 && year <= 2005)
    assert.ok(!Number.isNaN(Date.parse(dob)))
  }
})

test('a visit fills every variable, in the declared order, reproducibly', () => {
  const data = checkinVisitData('2026-11-27')
  assert.deepEqual(data.names, VISIT_VARIABLES)
  const fill = (seed: number) => {
    const out: string[] = []
    data.fill(createRng(seed), out)
    return out
  }
  const values = fill(3)
  assert.equal(values.length, VISIT_VARIABLES.length)
  assert.match(values[0]!, UUID)
  assert.ok(values[1]!.length >= 1 && values[1]!.length <= 600)
  assert.ok(values[2]!.length >= 1)
  assert.match(values[3]!, DOB)
  assert.match(values[4]!, /^[1-9]\d{0,4}$/)
  assert.equal(values[5], '2026-11-27')
  assert.deepEqual(fill(3), values)
  assert.notDeepEqual(fill(4), values)
})

test('isoDate is the UTC date', () => {
  assert.equal(isoDate(Date.UTC(2026, 10, 27, 23, 59)), '2026-11-27')
})
