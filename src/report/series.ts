import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { ResultsError } from '../errors.js'
import { SCHEMA_VERSION, type SeriesLine, seriesLineSchema } from '../model/results.js'

/**
 * Reads series.ndjson line by line (never the whole file at once). The first line must be a valid
 * header. A run killed by SIGKILL may end in a torn line: the LAST line may fail to parse and is
 * then skipped (`onTornLine` is told). Any other bad line is refused with a ResultsError, as is a
 * line after the end line.
 */
export async function* readSeries(
  path: string,
  onTornLine?: (lineNumber: number) => void,
): AsyncGenerator<SeriesLine> {
  await mustBeFile(path)
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity })
  let lineNumber = 0
  let broken: { lineNumber: number; problem: string } | undefined
  let sawHeader = false
  let sawEnd = false
  for await (const text of lines) {
    lineNumber++
    if (broken)
      throw new ResultsError(
        `${path} line ${broken.lineNumber}: ${broken.problem} (only the last line may be torn)`,
      )
    if (text.trim() === '') continue
    const parsed = parseLine(text)
    if (typeof parsed === 'string') {
      // a torn first line leaves no header either: refused at once
      if (!sawHeader) throw new ResultsError(`${path}: its header line is not valid: ${parsed}`)
      broken = { lineNumber, problem: parsed }
      continue
    }
    if (sawEnd) throw new ResultsError(`${path} line ${lineNumber}: a ${parsed.type} line after the end line`)
    if (!sawHeader && parsed.type !== 'header') {
      throw new ResultsError(`${path} does not start with a header line: not a checkin-load series file`)
    }
    if (sawHeader && parsed.type === 'header')
      throw new ResultsError(`${path} line ${lineNumber}: a second header line`)
    sawHeader = true
    if (parsed.type === 'end') sawEnd = true
    yield parsed
  }
  if (!sawHeader) throw new ResultsError(`${path} is empty: the run wrote nothing`)
  if (broken) onTornLine?.(broken.lineNumber)
}

/** A line as a SeriesLine, or what is wrong with it. */
export function parseLine(text: string): SeriesLine | string {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return 'not valid JSON'
  }
  const version = (json as { schemaVersion?: unknown } | null)?.schemaVersion
  if ((json as { type?: unknown } | null)?.type === 'header' && version !== SCHEMA_VERSION) {
    return `schemaVersion ${JSON.stringify(version)} is not supported (this checkin-load reads ${SCHEMA_VERSION})`
  }
  const parsed = seriesLineSchema.safeParse(json)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  return `not a series line (${issue ? `${issue.path.join('.') || 'line'}: ${issue.message}` : 'invalid'})`
}

async function mustBeFile(path: string): Promise<void> {
  try {
    if ((await stat(path)).isFile()) return
  } catch {
    // reported below
  }
  throw new ResultsError(`${path} does not exist: not a checkin-load run folder (it has no series.ndjson)`)
}
