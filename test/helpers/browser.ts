import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { type Browser, chromium, type Page } from 'playwright-core'

/** Debian's chromium, which scripts/install-system-deps.sh installs (a missing browser fails, never skips). */
export const CHROMIUM = '/usr/bin/chromium'

/**
 * Debian's headless Chromium, as the machine's probe starts it: no sandbox (root), no GPU, and no
 * background networking (this machine's closed network refuses it, many connections at a time).
 */
export async function launchChromium(): Promise<Browser> {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: run scripts/install-system-deps.sh (apt-get install chromium)`,
  )
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  })
}

export interface OpenedPage {
  readonly browser: Browser
  readonly page: Page
  /** every URL the page asked for, its own file first */
  readonly requests: string[]
  /** script errors raised in the page */
  readonly pageErrors: string[]
}

/**
 * Opens an HTML file from disk in a real Chromium with every other request refused, and waits
 * until its charts say they are drawn (`html[data-charts-ready]`). The caller closes the browser.
 */
export async function openChartPage(path: string): Promise<OpenedPage> {
  const browser = await launchChromium()
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } })
  const requests: string[] = []
  const pageErrors: string[] = []
  const url = pathToFileURL(path).href
  page.on('request', (request) => requests.push(request.url()))
  page.on('pageerror', (error) => pageErrors.push(error.message))
  await page.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()))
  await page.goto(url)
  await page.waitForSelector('html[data-charts-ready]', { timeout: 30_000 })
  return { browser, page, requests, pageErrors }
}
