import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { ResultsError } from '../errors.js'
import { SCHEMA_VERSION, type Summary, summarySchema } from '../model/results.js'

export const SUMMARY_FILE = 'summary.json'
export const SERIES_FILE = 'series.ndjson'
export const REPORT_FILE = 'report.html'

/**
 * Reads and validates a run's summary.json; `path` is the run folder or the file itself. Refuses
 * with a ResultsError (exit 2) a folder without one, a file that is not JSON, an unknown
 * schemaVersion, or anything the schema rejects.
 */
export async function readSummaryFile(path: string): Promise<Summary> {
  const file = (await isDirectory(path)) ? join(path, SUMMARY_FILE) : path
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    throw new ResultsError(
      file === path
        ? `${path} does not exist: give a run folder or its summary.json`
        : `${path} is not a run folder: it has no ${SUMMARY_FILE} (if it has a ${SERIES_FILE}, \`checkin-load report ${path}\` rebuilds it)`,
    )
  }
  return parseSummary(text, file)
}

export function parseSummary(text: string, file: string): Summary {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new ResultsError(`${file} is not valid JSON: not a checkin-load summary`)
  }
  const version = (json as { schemaVersion?: unknown } | null)?.schemaVersion
  if (typeof json !== 'object' || json === null || version === undefined) {
    throw new ResultsError(`${file} is not a checkin-load summary (it has no schemaVersion)`)
  }
  if (version !== SCHEMA_VERSION) {
    throw new ResultsError(
      `${file} has schemaVersion ${JSON.stringify(version)}, which this checkin-load does not read (it reads ${SCHEMA_VERSION})`,
    )
  }
  const parsed = summarySchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new ResultsError(
      `${file} is not a valid summary: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`,
    )
  }
  return parsed.data
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory()
  } catch {
    return false
  }
}
