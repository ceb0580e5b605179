import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PatientStore, RETRY_TTL_MS, SESSION_TTL_MS } from './patients.js'

function store(capacity = 10) {
  let t = 1_000
  const patients = new PatientStore({ capacity, now: () => t })
  return { patients, advance: (ms: number) => (t += ms) }
}

const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`

test('a session lasts 12 hours', () => {
  const { patients, advance } = store()
  const p = patients.getOrCreate(uuid(1))
  assert.equal(patients.hasSession(uuid(1)), false)
  patients.startSession(p)
  assert.equal(patients.hasSession(uuid(1)), true)
  advance(SESSION_TTL_MS - 1)
  assert.equal(patients.hasSession(uuid(1)), true)
  advance(1)
  assert.equal(patients.hasSession(uuid(1)), false)
})

test('failed logins count up and return the count before; the counter lasts 7 days', () => {
  const { patients, advance } = store()
  const p = patients.getOrCreate(uuid(1))
  assert.deepEqual(
    [0, 1, 2, 3].map(() => patients.countFailedLogin(p)),
    [0, 1, 2, 3],
  )
  advance(RETRY_TTL_MS)
  assert.equal(patients.countFailedLogin(p), 0)
})

test('an entry whose TTLs all passed is dropped on read and by the sweep', () => {
  const { patients, advance } = store()
  patients.startSession(patients.getOrCreate(uuid(1)))
  patients.getOrCreate(uuid(2))
  patients.countFailedLogin(patients.getOrCreate(uuid(3)))
  advance(SESSION_TTL_MS)
  assert.equal(patients.get(uuid(1)), undefined, 'session and record expired')
  assert.equal(patients.sweep(), 1, 'uuid 2 swept')
  assert.equal(patients.size, 1)
  assert.ok(patients.get(uuid(3)), 'the retry counter keeps its entry for 7 days')
})

test('beyond its capacity the store evicts the oldest entry', () => {
  const { patients } = store(3)
  for (let i = 1; i <= 5; i++) patients.getOrCreate(uuid(i))
  assert.equal(patients.size, 3)
  assert.equal(patients.evicted, 2)
  assert.equal(patients.get(uuid(1)), undefined)
  assert.equal(patients.get(uuid(2)), undefined)
  assert.ok(patients.get(uuid(5)))
})

test('identifiers are cached 12 hours', () => {
  const { patients, advance } = store()
  const p = patients.getOrCreate(uuid(1))
  assert.equal(patients.identifiersCached(p), false)
  patients.cacheIdentifiers(p)
  assert.equal(patients.identifiersCached(p), true)
  advance(12 * 3_600_000)
  assert.equal(patients.identifiersCached(p), false)
})
