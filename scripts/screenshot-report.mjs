#!/usr/bin/env node
// Screenshot of a run's HTML report, for docs/report-screenshot.png:
//   npx tsc -p . && node scripts/screenshot-report.mjs results/<run-id> [docs/report-screenshot.png]
//   node scripts/screenshot-report.mjs --synthetic [out.png]   (a realistic synthetic run, for before a real one)
// Rebuilds report.html from series.ndjson when the folder has none. Needs Debian's chromium.
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const root = resolve(import.meta.dirname, '..')
const args = process.argv.slice(2)
if (args.length === 0 || args[0] === '--help') {
  process.stderr.write('usage: node scripts/screenshot-report.mjs RUN_DIR|--synthetic [OUT.png]\n')
  process.exit(2)
}
const out = resolve(args[1] ?? join(root, 'docs/report-screenshot.png'))
const report = await import(pathToFileURL(join(root, 'dist/src/report/index.js')).href)

let dir = args[0]
if (dir === '--synthetic') {
  const fixtures = await import(pathToFileURL(join(root, 'dist/test/report/fixtures.js')).href)
  dir = fixtures.writeRunFolder(
    mkdtempSync(join(tmpdir(), 'checkin-load-shot-')),
    'synthetic',
    fixtures.screenshotRun().text,
  )
}
if (!existsSync(join(dir, 'report.html'))) await report.rebuildRunFiles(dir)

// the tests' own way of opening a report offline in Chromium
const { openChartPage } = await import(pathToFileURL(join(root, 'dist/test/helpers/browser.js')).href)
const { browser, page } = await openChartPage(join(dir, 'report.html'))
try {
  // from the top to the endpoint table: the configuration below it makes the picture too long to read
  const bottom = await page.$eval(
    '#endpoints',
    (table) => table.getBoundingClientRect().bottom + window.scrollY,
  )
  await page.screenshot({
    path: out,
    fullPage: true,
    clip: { x: 0, y: 0, width: 1366, height: Math.ceil(bottom + 70) },
  })
  process.stdout.write(`${out}\n`)
} finally {
  await browser.close()
}
