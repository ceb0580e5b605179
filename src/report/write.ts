import { accessSync, constants, mkdirSync, statSync } from 'node:fs'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { UsageError } from '../errors.js'
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
  return {
    summary: summaryPath,
    report: reportPath,
    ...(await writeExtraFiles(summary, options, comparison)),
  }
}

/**
 * Only the extra outputs (--junit, --markdown): a run re-judged in place, whose own summary.json
 * and report.html keep the verdict the run had.
 */
export async function writeExtraFiles(
  summary: Summary,
  options: WriteOptions,
  known?: Comparison,
): Promise<Omit<WrittenFiles, 'summary' | 'report'>> {
  const comparison =
    known ??
    (options.baseline ? compareSummaries(await readSummaryFile(options.baseline), summary) : undefined)
  if (options.junit) await writeOutputFile(options.junit, '--junit', renderJUnit(summary))
  if (options.markdown)
    await writeOutputFile(options.markdown, '--markdown', renderMarkdown(summary, comparison))
  return {
    ...(options.junit && { junit: options.junit }),
    ...(options.markdown && { markdown: options.markdown }),
    ...(comparison && { comparison }),
  }
}

/**
 * Checks, before any load is sent, that the extra output files (--junit, --markdown) can be
 * written: creates their folders, refuses a path that is a folder or a folder not writable, with
 * exit 2 and the real cause (a missing folder once ran the whole load, then failed as if the disk
 * were full).
 */
export function prepareOutputFiles(files: Readonly<Record<string, string | undefined>>): void {
  for (const [flag, path] of Object.entries(files)) {
    if (path === undefined) continue
    const folder = dirname(path)
    try {
      mkdirSync(folder, { recursive: true })
      accessSync(folder, constants.W_OK)
    } catch (error) {
      throw new UsageError(
        `cannot write ${flag} ${path}: ${causeOf(error)}; choose another path`,
        'CL_OUTPUT',
      )
    }
    let isFolder = false
    try {
      isFolder = statSync(path).isDirectory()
    } catch {
      // absent: written at the end
    }
    if (isFolder)
      throw new UsageError(`cannot write ${flag} ${path}: it is a folder; give a file name`, 'CL_OUTPUT')
  }
}

/** An output file named by the user: its folder created, a failure naming the file and its cause. */
async function writeOutputFile(path: string, flag: string, text: string): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true })
    await writeAtomically(path, text)
  } catch (error) {
    throw new UsageError(`cannot write ${flag} ${path}: ${causeOf(error)}`, 'CL_OUTPUT')
  }
}

const CAUSES: Readonly<Record<string, string>> = {
  ENOSPC: 'the disk is full',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder',
  EROFS: 'the file system is read-only',
  ENOENT: 'the folder does not exist',
}

function causeOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  return (code && CAUSES[code]) ?? (error as Error).message
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
