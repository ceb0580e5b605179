import { rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Summary } from '../model/results.js'
import type { ChartData } from './chart-data.js'
import { type Comparison, compareSummaries } from './compare.js'
import { renderReport } from './html.js'
import { renderJUnit } from './junit.js'
import { renderMarkdown } from './markdown.js'
import { REPORT_FILE, readSummaryFile, SUMMARY_FILE } from './summary-file.js'

export interface WriteOptions {
  /** a baseline run folder: its comparison goes into the HTML report */
  readonly baseline?: string
  /** also write a JUnit XML file here */
  readonly junit?: string
  /** also write a Markdown summary here */
  readonly markdown?: string
}

export interface WrittenFiles {
  readonly summary: string
  readonly report: string
  readonly junit?: string
  readonly markdown?: string
  readonly comparison?: Comparison
}

/**
 * Writes a run's result files into its folder: summary.json and report.html (each written to a
 * temporary name, then renamed, so a reader never sees half a file), plus JUnit and Markdown when
 * asked. commands/run.ts calls this at the end of a run, commands/merge.ts for merged shards, and
 * rebuildRunFiles for `report`.
 */
export async function writeRunFiles(
  dir: string,
  summary: Summary,
  chart: ChartData,
  options: WriteOptions = {},
): Promise<WrittenFiles> {
  const comparison = options.baseline
    ? compareSummaries(await readSummaryFile(options.baseline), summary)
    : undefined
  const summaryPath = join(dir, SUMMARY_FILE)
  const reportPath = join(dir, REPORT_FILE)
  await writeAtomically(summaryPath, `${JSON.stringify(summary, null, 2)}\n`)
  await writeAtomically(reportPath, renderReport(summary, chart, comparison ? { comparison } : {}))
  if (options.junit) await writeAtomically(options.junit, renderJUnit(summary))
  if (options.markdown) await writeAtomically(options.markdown, renderMarkdown(summary, comparison))
  return {
    summary: summaryPath,
    report: reportPath,
    ...(options.junit && { junit: options.junit }),
    ...(options.markdown && { markdown: options.markdown }),
    ...(comparison && { comparison }),
  }
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`
  try {
    await writeFile(temporary, text)
    await rename(temporary, path)
  } catch (error) {
    // a full disk: leave no half-written temporary file behind
    await rm(temporary, { force: true }).catch(() => {})
    throw error
  }
}
