import type { Browser, Page } from 'playwright-core'
import { launchChromium } from '../helpers/browser.js'

export interface LivePage {
  readonly browser: Browser
  readonly page: Page
  /** every URL the page asked for */
  readonly requests: string[]
  /** requests refused because they left the live server (there must be none) */
  readonly refused: string[]
  readonly pageErrors: string[]
}

/**
 * Opens the live page in Debian's headless Chromium with the network off: every request that is
 * not to the page's own loopback server is aborted (and listed). Waits for its charts.
 */
export async function openLivePage(pageUrl: string): Promise<LivePage> {
  const browser = await launchChromium()
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } })
  const origin = new URL(pageUrl).origin
  const requests: string[] = []
  const refused: string[] = []
  const pageErrors: string[] = []
  page.on('request', (request) => requests.push(request.url()))
  page.on('pageerror', (error) => pageErrors.push(error.message))
  await page.route('**/*', (route) => {
    const url = route.request().url()
    if (new URL(url).origin === origin) return route.continue()
    refused.push(url)
    return route.abort()
  })
  // confirm() of the stop button: yes
  page.on('dialog', (dialog) => void dialog.accept())
  await page.goto(pageUrl)
  return { browser, page, requests, refused, pageErrors }
}
