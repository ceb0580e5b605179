import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { Pool } from 'undici'
import { type MockProcess, startMockProcess } from '../../src/mock/index.js'
import { peakRssMbOf } from '../faults/run-cli.js'

/**
 * The stand-in under overload, as a process (its own event loop and memory, as `run` starts it),
 * driven by a small open-loop driver (requests leave on a clock, whatever the answers do).
 * With --backlog-cap it sheds what does not fit with 503 at once, keeps the backlog within the
 * cap, and serves 200 again as soon as the load drops (backlog back to 0 in /metrics). Without a
 * cap, every request waits its turn and is served, and memory stays bounded.
 *
 * Capacity: the staging-2022 preset's CHIP refresh on GET sessions?checkInType=preCheckIn holds a
 * worker 4 s; --time-scale makes that 100 ms (cap test) or 50 ms (no-cap test).
 */
const UUID = '3f1e7d52-6a55-4c1e-9d1b-2a4b8c9d0e1f'
const PATH = `/check_in/v2/sessions/${UUID}?checkInType=preCheckIn`

/** Sends `count` GETs at `ratePerS` on a clock; resolves with every status (-1: a transport error). */
async function drive(pool: Pool, ratePerS: number, count: number): Promise<number[]> {
  const answers: Promise<number>[] = []
  const start = performance.now()
  for (let i = 0; i < count; i++) {
    const wait = start + (i * 1000) / ratePerS - performance.now()
    if (wait >= 1) await sleep(wait)
    answers.push(
      pool.request({ method: 'GET', path: PATH, headersTimeout: 60_000, bodyTimeout: 60_000 }).then(
        async (response) => {
          await response.body.dump()
          return response.statusCode
        },
        () => -1,
      ),
    )
  }
  return Promise.all(answers)
}

async function gauge(pool: Pool, name: string): Promise<number> {
  const response = await pool.request({ method: 'GET', path: '/metrics' })
  const text = await response.body.text()
  const match = new RegExp(`^${name} (\\d+)`, 'm').exec(text)
  assert.ok(match, `${name} in /metrics`)
  return Number(match[1])
}

/** Polls the backlog until it is 0 (bounded: at most `withinMs`); returns the time it took. */
async function backlogDrained(pool: Pool, withinMs: number): Promise<number> {
  const start = Date.now()
  for (let i = 0; i < withinMs / 100; i++) {
    if ((await gauge(pool, 'checkin_mock_pool_backlog')) === 0) return Date.now() - start
    await sleep(100)
  }
  throw new Error(`the backlog was not back to 0 within ${withinMs} ms`)
}

function count(statuses: readonly number[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1
  return counts
}

describe('the stand-in under overload', { concurrency: 2 }, () => {
  test('--backlog-cap: over capacity it sheds with 503 and keeps the backlog within the cap; when the load drops, 200 again', async (t) => {
    // 4 workers x 100 ms: 40 req/s; a backlog of at most 8
    const mock: MockProcess = await startMockProcess({
      preset: 'staging-2022',
      timeScale: 0.025,
      workers: 4,
      backlogCap: 8,
      seed: 2,
    })
    const pool = new Pool(mock.url, { connections: 400 })
    try {
      // 150 req/s for 2 s: almost four times the capacity
      const overload = drive(pool, 150, 300)
      await sleep(1000)
      const backlogMidway = await gauge(pool, 'checkin_mock_pool_backlog')
      const shed = count(await overload)
      t.diagnostic(`overload: ${JSON.stringify(shed)}, backlog midway ${backlogMidway}`)
      assert.ok((shed['503'] ?? 0) > 50, `load shed with 503: ${JSON.stringify(shed)}`)
      assert.ok((shed['200'] ?? 0) > 10, `still serving at capacity: ${JSON.stringify(shed)}`)
      assert.equal((shed['200'] ?? 0) + (shed['503'] ?? 0), 300, `nothing else: ${JSON.stringify(shed)}`)
      assert.ok(backlogMidway <= 8, `backlog ${backlogMidway} within the cap`)

      const drainedMs = await backlogDrained(pool, 10_000)
      // 5 req/s: an eighth of the capacity
      const calm = count(await drive(pool, 5, 10))
      t.diagnostic(`backlog back to 0 ${drainedMs} ms after the overload; then ${JSON.stringify(calm)}`)
      assert.deepEqual(calm, { '200': 10 })
      assert.equal(await gauge(pool, 'checkin_mock_pool_backlog'), 0)
    } finally {
      await pool.close()
      await mock.stop()
    }
  })

  test('no cap: every request waits its turn and is served; memory bounded; the backlog drains', async (t) => {
    // 10 workers x 50 ms: 200 req/s; driven at 500 req/s for 2 s
    const mock: MockProcess = await startMockProcess({
      preset: 'staging-2022',
      timeScale: 0.0125,
      workers: 10,
      seed: 3,
    })
    const pool = new Pool(mock.url, { connections: 1200 })
    try {
      const rssBefore = peakRssMbOf(mock.pid)
      const load = drive(pool, 500, 1000)
      let maxBacklog = 0
      for (let i = 0; i < 20; i++) {
        maxBacklog = Math.max(maxBacklog, await gauge(pool, 'checkin_mock_pool_backlog'))
        await sleep(150)
      }
      const statuses = count(await load)
      const peak = peakRssMbOf(mock.pid)
      t.diagnostic(
        `${JSON.stringify(statuses)}; backlog up to ${maxBacklog}; stand-in peak RSS ${peak.toFixed(0)} MB (${rssBefore.toFixed(0)} MB before)`,
      )
      assert.deepEqual(statuses, { '200': 1000 })
      assert.ok(maxBacklog > 50, `the load really was over capacity: backlog ${maxBacklog}`)
      assert.ok(peak < 300, `stand-in peak RSS ${peak} MB`)
      assert.ok(peak - rssBefore < 150, `grew ${peak - rssBefore} MB for a backlog of ${maxBacklog}`)
      await backlogDrained(pool, 10_000)
    } finally {
      await pool.close()
      await mock.stop()
    }
  })
})
