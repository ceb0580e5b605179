import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { runConfigSchema } from '../../src/config/schema.js'
import type { Summary } from '../../src/model/results.js'
import { rebuildRunFiles } from '../../src/report/index.js'
import { openChartPage } from '../helpers/browser.js'
import { synthesizeRun, writeRunFolder } from './fixtures.js'

/**
 * The HTML report in a real browser (Debian's chromium): it opens from disk with no network
 * request at all, draws its charts, shows the numbers of summary.json, and prints.
 */
const parent = mkdtempSync(join(tmpdir(), 'checkin-load-browser-'))
let browser: Browser
let page: Page
let summary: Summary
let requests: string[] = []
let pageErrors: string[] = []

before(async () => {
  const base = synthesizeRun({ seconds: 40, seed: 11, runId: 'base-run' })
  const run = synthesizeRun({
    seconds: 40,
    seed: 12,
    runId: 'new-run',
    latencyMs: (endpoint, t, random) =>
      (endpoint === 'post_session' ? 40 : 3) * (0.8 + 0.4 * random()) + t * 0.01,
    errorRate: (endpoint) => (endpoint === 'get_pre_check_in' ? 0.05 : 0),
    dropped: (endpoint, t) => (endpoint === 'get_session' && t > 30 ? 2 : 0),
    config: {
      ...runConfigSchema.parse({ stages: [{ durationMs: 40_000, target: 1 }] }),
      // hostile text in the config must show as text, never run
      note: '</script><script>window.__pwned = 1</script><img src="https://example.invalid/x.png">',
    },
  })
  const baseDir = writeRunFolder(parent, 'base', base.text)
  await rebuildRunFiles(baseDir)
  const dir = writeRunFolder(parent, 'new', run.text)
  const written = await rebuildRunFiles(dir, { baseline: baseDir })
  summary = JSON.parse(readFileSync(written.files.summary!, 'utf8'))

  ;({ browser, page, requests, pageErrors } = await openChartPage(written.files.report!))
})

after(async () => {
  await browser?.close()
})

test('the report makes no network request beyond loading its own file', () => {
  assert.equal(requests.length, 1, `requests: ${requests.join(', ')}`)
  assert.match(requests[0]!, /^file:.*report\.html$/)
  assert.deepEqual(pageErrors, [])
})

test('all seven charts are drawn: each canvas has coloured (series) pixels', async () => {
  assert.equal(await page.getAttribute('html', 'data-charts-ready'), '7')
  const coloured = await page.$$eval('canvas', (canvases) =>
    canvases.map((canvas) => {
      const ctx = (canvas as HTMLCanvasElement).getContext('2d')!
      const { data } = ctx.getImageData(
        0,
        0,
        (canvas as HTMLCanvasElement).width,
        (canvas as HTMLCanvasElement).height,
      )
      let n = 0
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b, a] = [data[i]!, data[i + 1]!, data[i + 2]!, data[i + 3]!]
        // series strokes are saturated colours; axes, grid and text are grey
        if (a > 100 && Math.max(r, g, b) - Math.min(r, g, b) > 80) n++
      }
      return n
    }),
  )
  assert.equal(coloured.length, 7)
  for (const [i, n] of coloured.entries()) assert.ok(n > 100, `chart ${i} has only ${n} coloured pixels`)
})

test('the endpoint table shows the numbers of summary.json', async () => {
  const rows = await page.$$eval('#endpoints tbody tr', (trs) =>
    trs.map((tr) => ({
      endpoint: tr.getAttribute('data-endpoint')!,
      cells: Object.fromEntries(
        [...tr.querySelectorAll('td[data-field]')].map((td) => [
          td.getAttribute('data-field')!,
          { value: Number(td.getAttribute('data-value')), text: td.firstChild?.textContent ?? '' },
        ]),
      ),
    })),
  )
  assert.deepEqual(
    rows.map((r) => r.endpoint),
    [...Object.keys(summary.endpoints), 'total'],
  )
  for (const row of rows) {
    const e = row.endpoint === 'total' ? summary.total : summary.endpoints[row.endpoint]!
    const errors = Object.values(e.errors).reduce((a, b) => a + (b ?? 0), 0)
    const expected: Record<string, number> = {
      requests: e.requests,
      ok: e.ok,
      errors,
      dropped: e.dropped,
      expectedRps: e.expectedRps,
      achievedRps: e.achievedRps,
      p50: e.latencyMs.p50,
      p90: e.latencyMs.p90,
      p95: e.latencyMs.p95,
      p99: e.latencyMs.p99,
      max: e.latencyMs.max,
      p95FromSend: e.latencyFromSendMs.p95,
    }
    for (const [field, value] of Object.entries(expected)) {
      const cell = row.cells[field]!
      assert.equal(cell.value, value, `${row.endpoint} ${field}`)
      // the text shown is the value, rounded for reading to the digits it shows
      const shown = Number(cell.text.replace(/,/g, ''))
      const decimals = cell.text.split('.')[1]?.length ?? 0
      assert.ok(
        Math.abs(shown - value) <= 0.5 * 10 ** -decimals + 1e-9,
        `${row.endpoint} ${field}: ${cell.text} vs ${value}`,
      )
    }
  }
  assert.equal(await page.textContent('[data-endpoint="get_session"] td[data-field="dropped"]'), '18') // 2 a second in seconds 31-39
})

test('thresholds and verdict are shown as judged', async () => {
  const results = await page.$$eval('#thresholds tbody tr', (trs) => trs.map((tr) => tr.className))
  assert.deepEqual(
    results,
    summary.thresholds.map((t) => (t.ok ? 'pass' : 'fail')),
  )
  assert.equal(summary.passed, false)
  assert.match((await page.textContent('#verdict'))!, /^FAILED: \d+ of \d+ thresholds$/)
  assert.match((await page.textContent('#comparison h2'))!, /Compared with base-run: REGRESSION/)
})

test('hostile config text is shown, not run', async () => {
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined)
  assert.match((await page.textContent('body'))!, /<\/script><script>window.__pwned = 1<\/script>/)
})

test('the endpoint selector and the from-send toggle redraw without errors', async () => {
  await page.selectOption('#endpoint-select', 'post_session')
  await page.check('#show-from-send')
  const shown = await page.$$eval('#chart-latency .u-legend .u-series', (series) =>
    series.map((s) => !s.classList.contains('u-off')),
  )
  assert.deepEqual(shown, [true, true, true, true, true, true, true])
  assert.deepEqual(pageErrors, [])
})

test('a screenshot and a printed PDF can be taken', async () => {
  const png = join(parent, 'report.png')
  await page.screenshot({ path: png, fullPage: true })
  assert.ok(statSync(png).size > 50_000)
  await page.emulateMedia({ media: 'print' })
  const pdf = await page.pdf({ format: 'A4' })
  assert.ok(pdf.length > 20_000)
  assert.equal(pdf.subarray(0, 4).toString(), '%PDF')
  assert.equal(requests.length, 1, 'printing made no request either')
})
