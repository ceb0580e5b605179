import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { type RunHandle, startRun } from '../../src/commands/run.js'
import { resolveRunConfig } from '../../src/config/load.js'
import { checkinProfile, endpointIds } from '../../src/profile/index.js'
import type { TestServer } from '../engine/helpers.js'
import { type LivePage, openLivePage } from './browser.js'
import { COUNTED_RUN, startCountingServer } from './helpers.js'

/**
 * The live page of a real run in headless Chromium with the network off: every endpoint and chart
 * is there, the numbers move from second to second, and the page's scale control moves the
 * server's count within 2 s (±20%).
 */
let hits: number[] = []
let target: TestServer
let handle: RunHandle
let live: LivePage

before(async () => {
  ;({ target, hits } = await startCountingServer())
  const config = resolveRunConfig({
    flags: {
      target: target.url,
      ...COUNTED_RUN,
      durationMs: 40_000,
      scale: 0.5,
      arrival: 'constant',
      out: mkdtempSync(join(tmpdir(), 'checkin-load-live-')),
      defaultSlos: false,
    },
  })
  let url = ''
  handle = startRun(config, { handleSignals: false, onStart: (info) => (url = info.web ?? '') })
  while (url === '') await sleep(50)
  live = await openLivePage(url)
  await live.page.waitForSelector('html[data-charts-ready]', { timeout: 30_000 })
})

after(async () => {
  await live?.browser.close()
  handle?.stop()
  const outcome = await handle?.done
  await outcome?.page?.lingering
  await target?.close()
})

const rate = (fromMs: number, toMs: number) =>
  (hits.filter((t) => t >= fromMs && t < toMs).length * 1000) / (toMs - fromMs)

test('no request leaves the loopback server; no script error', () => {
  assert.deepEqual(live.refused, [])
  assert.deepEqual(live.pageErrors, [])
})

test('every endpoint and every chart is shown', async () => {
  assert.equal(await live.page.getAttribute('html', 'data-charts-ready'), '7')
  await live.page.waitForFunction(() => Number(document.documentElement.dataset.liveT) >= 1)
  const rows = await live.page
    .locator('#endpoints tbody tr')
    .evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.endpoint))
  assert.deepEqual(rows, [...endpointIds(checkinProfile()), 'total'])
})

test('the numbers change from second to second', async () => {
  const read = () =>
    live.page.evaluate(() => ({
      t: Number(document.documentElement.dataset.liveT),
      requests: document.querySelector('#endpoints tr[data-endpoint="total"] td[data-field="requests"]')
        ?.textContent,
      elapsed: document.querySelector('[data-live="elapsed"] .value')?.textContent,
    }))
  const first = await read()
  await live.page.waitForFunction((t) => Number(document.documentElement.dataset.liveT) > t, first.t)
  const second = await read()
  assert.notEqual(second.requests, first.requests)
  assert.notEqual(second.elapsed, first.elapsed)
})

test("the page's scale control: the server's count follows within 2 s (±20%)", async () => {
  // the browser's start took the CPU for a while: the open model catches up, so measure after it
  await sleep(2_000)
  const before = rate(Date.now() - 2_000, Date.now())
  assert.ok(before > 80 && before < 120, `before: ${before} req/s (100 asked)`)
  await live.page.fill('#scale-input', '2')
  await live.page.click('#scale-set')
  await live.page.waitForFunction(() => document.documentElement.dataset.userScale === '2')
  const at = Date.now()
  await sleep(2_000)
  const after = rate(at + 1_000, at + 2_000)
  // 200 req/s asked from the ramp's end on
  assert.ok(Math.abs(after - 200) <= 40, `after: ${after} req/s (200 asked), before ${before}`)
  assert.match((await live.page.locator('#control-log li').allTextContents())[0] ?? '', /web: scale 1 → 2/)
})
