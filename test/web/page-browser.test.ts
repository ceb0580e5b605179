import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { SeriesControl } from '../../src/model/results.js'
import { defaultSlosFor } from '../../src/report/index.js'
import { LiveFeed, Steering, startWebServer, type WebServer } from '../../src/web/index.js'
import { synthesizeRun } from '../report/fixtures.js'
import { type LivePage, openLivePage } from './browser.js'

/**
 * The live page in a real browser, fed fake seconds by a timer: it opens with the network off,
 * draws every chart, lists every endpoint, its numbers move second to second, and its buttons
 * steer (a Steering desk over a fake load).
 */
const run = synthesizeRun({ seconds: 60, seed: 5, runId: 'page-run', share: (t) => 0.2 + t / 100 })
const applied: string[] = []
const steering = new Steering({ maxScale: 5 })
const feed = new LiveFeed({
  kind: 'run',
  thresholds: defaultSlosFor(run.header.endpoints),
  plannedS: 60,
  control: () => steering.state(),
})
steering.onChange((change: SeriesControl) => feed.onControl(change))
let server: WebServer
let live: LivePage
let timer: NodeJS.Timeout | undefined
let next = 0

before(async () => {
  server = await startWebServer({ port: 0, feed, control: steering })
  feed.onHeader(run.header)
  steering.start(
    { setUserScale: (x) => applied.push(`scale ${x}`), stop: () => applied.push('stop') },
    Date.now(),
  )
  for (; next < 3; next++) feed.onSecond(run.seconds[next]!)
  // a second every 250 ms, bounded by the synthetic run's length
  timer = setInterval(() => {
    if (next < run.seconds.length) feed.onSecond(run.seconds[next++]!)
  }, 250)
  live = await openLivePage(server.pageUrl)
  await live.page.waitForSelector('html[data-charts-ready]', { timeout: 30_000 })
})

after(async () => {
  clearInterval(timer)
  await live?.browser.close()
  await server?.close()
})

test('the page opens with the network off: every request went to its own server, none refused', () => {
  assert.deepEqual(live.refused, [])
  for (const url of live.requests) assert.equal(new URL(url).origin, new URL(server.url).origin, url)
  assert.deepEqual(live.pageErrors, [])
})

test('all seven charts are drawn and every endpoint is in the table', async () => {
  assert.equal(await live.page.getAttribute('html', 'data-charts-ready'), '7')
  assert.equal(await live.page.locator('.chart canvas').count(), 7)
  const rows = await live.page
    .locator('#endpoints tbody tr')
    .evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.endpoint))
  assert.deepEqual(rows, [...run.header.endpoints, 'total'])
  assert.ok((await live.page.locator('#thresholds tbody tr').count()) > 0)
})

test('its numbers change from second to second', async () => {
  const read = () =>
    live.page.evaluate(() => ({
      t: Number(document.documentElement.dataset.liveT),
      requests: document.querySelector('#endpoints tr[data-endpoint="total"] td[data-field="requests"]')
        ?.textContent,
    }))
  const first = await read()
  await live.page.waitForFunction((t) => Number(document.documentElement.dataset.liveT) >= t + 2, first.t, {
    timeout: 5_000,
  })
  const second = await read()
  assert.ok(second.t >= first.t + 2)
  assert.notEqual(second.requests, first.requests)
})

test('the control panel steers: scale, pause, resume go through with the token, marked on the page', async () => {
  await live.page.fill('#scale-input', '2.5')
  await live.page.click('#scale-set')
  await live.page.waitForFunction(() => document.documentElement.dataset.userScale === '2.5')
  await live.page.click('#pause')
  await live.page.waitForFunction(() => document.documentElement.dataset.paused === 'true')
  await live.page.click('#resume')
  await live.page.waitForFunction(() => document.documentElement.dataset.paused === 'false')
  assert.deepEqual(applied, ['scale 2.5', 'scale 0', 'scale 2.5'])
  const log = await live.page.locator('#control-log li').allTextContents()
  assert.equal(log.length, 3)
  assert.match(log[0]!, /web: scale 1 → 2\.5/)
  // over the limit: refused, said on the page, nothing applied
  await live.page.fill('#scale-input', '50')
  await live.page.click('#scale-set')
  await live.page.waitForFunction(() =>
    /limit/.test(document.getElementById('control-message')?.textContent ?? ''),
  )
  assert.equal(applied.length, 3)
})

test('a screenshot of the live page (for a look; the README one comes from a real run)', async () => {
  const shot = await live.page.screenshot({ fullPage: true })
  assert.ok(shot.length > 50_000)
  if (process.env.LIVE_PAGE_SHOT) (await import('node:fs')).writeFileSync(process.env.LIVE_PAGE_SHOT, shot)
})

test('the end: verdict shown, the final report linked, the stream closed', async () => {
  steering.end()
  feed.onEnd(
    { passed: true, endReason: 'completed', thresholds: [] },
    '<!doctype html><title>final report</title>',
  )
  await live.page.waitForFunction(() => document.documentElement.dataset.ended === 'true')
  assert.equal(await live.page.textContent('#verdict'), 'PASSED')
  const href = await live.page.getAttribute('#report-link', 'href')
  assert.match(href ?? '', /^\/report\?token=/)
  await live.page.goto(new URL(href!, server.url).href)
  assert.equal(await live.page.title(), 'final report')
})
