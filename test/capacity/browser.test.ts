import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { renderCapacityReport } from '../../src/capacity/html.js'
import { buildVerdict, type CapacityFile, stepRecord } from '../../src/capacity/result.js'
import { openChartPage } from '../helpers/browser.js'
import { fakeSearch, PRE_CHECK_IN_SLOW } from './fixtures.js'

/**
 * capacity.html in a real browser (Debian's chromium): it opens from disk with no network, draws
 * its two charts (the knee, achieved vs asked) without a script error, and shows every step.
 */
const dir = mkdtempSync(join(tmpdir(), 'capacity-html-'))
let browser: Browser | undefined
let page: Page
let requests: string[] = []
let pageErrors: string[] = []

function file(): CapacityFile {
  const search = fakeSearch(
    [
      { share: 0.225, result: 'pass' },
      { share: 0.3375, result: 'pass' },
      { share: 0.5063, result: 'pass' },
      { share: 0.7594, result: 'fail', failures: [PRE_CHECK_IN_SLOW], p95Ms: 2500 },
      { share: 0.6201, result: 'fail', phase: 'bisect', failures: [PRE_CHECK_IN_SLOW], p95Ms: 900 },
      { share: 0.5603, result: 'pass', phase: 'bisect' },
      {
        share: 0.5894,
        result: 'untrusted',
        phase: 'bisect',
        failures: [{ ...PRE_CHECK_IN_SLOW, value: 280 }],
      },
    ],
    { kind: 'generator_limited', share: 0.5894, held: 0.5603, failed: 0.6201 },
  )
  const profile = {
    totalRps: 200,
    endpoints: [
      { endpoint: 'get_session', rps: 100 },
      { endpoint: 'post_session', rps: 100 },
    ],
  }
  return {
    schemaVersion: 1,
    kind: 'capacity',
    runId: 'browser',
    target: 'http://127.0.0.1:3000',
    startedAt: '2026-11-27T10:00:00.000Z',
    endedAt: '2026-11-27T10:03:00.000Z',
    durationS: 180,
    profile: {
      name: 'vets-api-checkin',
      scale: 1,
      timeScale: 0.25,
      totalRps: 200,
      totalRpm: 12_000,
      endpoints: { get_session: { rpm: 6000, rps: 100 }, post_session: { rpm: 6000, rps: 100 } },
    },
    settings: {
      start: 0.225,
      factor: 1.5,
      precision: 0.05,
      maxScale: 10,
      minScale: 0.0225,
      stepDurationS: 10,
      warmupS: 3,
      maxDurationS: 1800,
      coolDown: 'until idle',
      arrival: 'constant',
      seed: 1,
    },
    slos: [
      { metric: 'http_req_duration{endpoint:get_pre_check_in}', expr: 'p(95)<1000', judgedExpr: 'p(95)<250' },
    ],
    prediction: { preset: 'staging-2022', workers: 240, busyWorkersAt1x: 410.9, saturationShare: 0.584 },
    steps: search.steps.map((s) => stepRecord(s, s.share * 800)),
    verdict: buildVerdict(search, profile),
    exitCode: 99,
  }
}

before(async () => {
  const path = join(dir, 'capacity.html')
  writeFileSync(path, renderCapacityReport(file()))
  ;({ browser, page, requests, pageErrors } = await openChartPage(path))
})

after(async () => {
  await browser?.close()
  rmSync(dir, { recursive: true, force: true })
})

test('the page makes no request beyond its own file and raises no script error', () => {
  assert.equal(requests.length, 1, requests.join(', '))
  assert.deepEqual(pageErrors, [])
})

test('both charts are drawn', async () => {
  for (const id of ['chart-knee', 'chart-throughput']) {
    const size = await page.$eval(`#${id} canvas`, (c) => [
      (c as HTMLCanvasElement).width,
      (c as HTMLCanvasElement).height,
    ])
    assert.ok(size[0]! > 300 && size[1]! > 200, `${id}: canvas ${size}`)
  }
  const titles = await page.$$eval('.u-title', (els) => els.map((e) => e.textContent))
  assert.deepEqual(titles, ['Latency vs asked rate (log scale): the knee', 'Achieved vs asked rate'])
})

test('the verdict, every step and its reason are on the page', async () => {
  assert.equal(await page.textContent('#verdict'), 'GENERATOR-LIMITED')
  assert.match(
    (await page.textContent('#verdict-text')) ?? '',
    /The generator, not the target, was the bottleneck at 0.5894x/,
  )
  const rows = await page.$$eval('#steps tbody tr', (trs) => trs.map((tr) => tr.className))
  assert.deepEqual(rows, ['pass', 'pass', 'pass', 'fail', 'fail', 'pass', 'untrusted'])
  const why = await page.textContent('#steps tbody tr[data-step="4"] .why')
  assert.match(why ?? '', /http_req_duration\{endpoint:get_pre_check_in\} p\(95\)<250: 900 \(from second 2\)/)
})
