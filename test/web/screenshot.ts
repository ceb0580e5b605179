/**
 * The README's picture of the live page: a real run against the embedded stand-in (staging-2022's
 * delays, ten times faster), steered once from the page, shot in headless Chromium with the
 * network off.
 *
 *   npx tsc -p . && node dist/test/web/screenshot.js docs/live-page.png
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { startRun } from '../../src/commands/run.js'
import { resolveRunConfig } from '../../src/config/load.js'
import { openLivePage } from './browser.js'

const outFile = process.argv[2] ?? 'live-page.png'
const config = resolveRunConfig({
  flags: {
    stages: [
      { durationMs: 8_000, target: 0.3 },
      { durationMs: 40_000, target: 0.3 },
    ],
    mockPreset: 'staging-2022',
    mockTimeScale: 0.1,
    out: mkdtempSync(join(tmpdir(), 'checkin-load-shot-')),
    quiet: true,
    web: true,
    webPort: 0,
    webLingerMs: 0,
  },
})
let url = ''
const handle = startRun(config, { onStart: (info) => (url = info.web ?? '') })
while (url === '') await sleep(50)
const live = await openLivePage(url)
await live.page.waitForSelector('html[data-charts-ready]', { timeout: 30_000 })
await sleep(14_000)
await live.page.fill('#scale-input', '1.5')
await live.page.click('#scale-set')
await sleep(12_000)
writeFileSync(outFile, await live.page.screenshot({ fullPage: true }))
console.log(
  `${outFile}: ${live.refused.length} requests refused (network off), ${live.pageErrors.length} page errors`,
)
await live.browser.close()
handle.stop()
const outcome = await handle.done
await outcome.page?.lingering
