import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { gaugeValue, pauseCoolDown, standInCoolDown } from './cooldown.js'

const EXPOSITION = `# HELP checkin_mock_pool_busy_workers Workers held by a request right now
# TYPE checkin_mock_pool_busy_workers gauge
checkin_mock_pool_busy_workers 12
# TYPE checkin_mock_pool_backlog gauge
checkin_mock_pool_backlog 0
checkin_mock_requests_total{endpoint="get_session",method="GET",status="200"} 3005
`

for (const [name, value] of [
  ['checkin_mock_pool_busy_workers', 12],
  ['checkin_mock_pool_backlog', 0],
  ['checkin_mock_requests_total', 3005],
  ['checkin_mock_pool_workers', undefined],
  ['checkin_mock_pool', undefined],
] as const) {
  test(`gaugeValue(${name}) = ${value}`, () => assert.equal(gaugeValue(EXPOSITION, name), value))
}

test('pauseCoolDown rests its fixed time', async () => {
  const report = await pauseCoolDown(50)()
  assert.ok(report.waitedMs >= 45, `${report.waitedMs} ms`)
  assert.equal(report.idle, true)
})

test('standInCoolDown rests until the pool is idle, and no longer', async () => {
  // busy for the first three looks at /metrics, then idle
  let looks = 0
  const server = createServer((_req, res) => {
    looks++
    const busy = looks <= 3 ? 5 : 0
    res.end(`checkin_mock_pool_busy_workers ${busy}\ncheckin_mock_pool_backlog ${busy * 2}\n`)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const report = await standInCoolDown({ url, maxMs: 10_000, pollMs: 20 })()
    assert.equal(looks, 4)
    assert.deepEqual({ ...report, waitedMs: 0 }, { waitedMs: 0, idle: true, busyWorkers: 0, backlog: 0 })
    // a stand-in that never goes idle: the rest ends at its bound, and says so
    looks = -1_000_000
    const bounded = await standInCoolDown({ url, maxMs: 100, pollMs: 20 })()
    assert.equal(bounded.idle, false)
    assert.equal(bounded.busyWorkers, 5)
    assert.ok(bounded.waitedMs >= 100 && bounded.waitedMs < 5000, `${bounded.waitedMs} ms`)
  } finally {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
})
