import { statSync } from 'node:fs'
import { basename, dirname } from 'node:path'
import { type Command, Option } from 'commander'
import type { ThresholdSpec } from '../config/thresholds.js'
import { parseThreshold } from '../config/thresholds.js'
import { EXIT } from '../errors.js'
import { SUMMARY_FILE } from '../report/summary-file.js'
import { useColor } from './color.js'

interface ReportFlags {
  out?: string
  threshold?: ThresholdSpec[]
  defaultSlos: boolean
  baseline?: string
  junit?: string
  markdown?: string
  quiet?: boolean
}

/** A repeatable --threshold, each parsed (and refused with exit 2) as it is read. */
export function thresholdOption(): Option {
  return new Option(
    '--threshold <expr>',
    "judge by this threshold instead of the run's own, e.g. 'http_req_duration{endpoint:post_session}: p(95)<500' (repeatable)",
  ).argParser((text: string, previous: ThresholdSpec[] | undefined) => [
    ...(previous ?? []),
    parseThreshold(text, '--threshold'),
  ])
}

/** The options of a command that judges a run and writes its files (report, merge). */
export function addJudgingOptions(command: Command): Command {
  return command
    .addOption(thresholdOption())
    .option('--no-default-slos', 'do not judge the built-in SLO set of the check-in profile')
    .option('--baseline <dir>', 'compare with this earlier run in the report')
    .option('--junit <file>', 'also write a JUnit XML file, one test case per threshold')
    .option('--markdown <file>', 'also write a Markdown summary (for a CI job summary page)')
    .option('--quiet', 'print only the paths written')
}

/** The run folder of DIR, or of DIR/summary.json (as `compare` takes either). */
function runFolderOf(path: string): string {
  try {
    if (statSync(path).isFile() && basename(path) === SUMMARY_FILE) return dirname(path)
  } catch {
    // not there: rebuild says so, naming the path
  }
  return path
}

export function registerReportCommand(program: Command): void {
  addJudgingOptions(
    program
      .command('report')
      .description(
        "(re)build summary.json and report.html from a run folder's series.ndjson (also after a crash)",
      )
      .argument('<dir>', 'the run folder, e.g. results/<run-id> (or its summary.json)'),
  )
    .option(
      '--out <dir>',
      "write summary.json and report.html into this folder; the run's own stay as they are",
    )
    .addHelpText(
      'after',
      `
Exit codes: 0 thresholds met, 99 a threshold failed, 2 not a run folder or a bad flag.

Examples:
  checkin-load report results/2026-11-26T22-00-00Z-ab12
  checkin-load report results/last-night --threshold 'http_req_duration: p(99)<800' --no-default-slos`,
    )
    .action(async (dir: string, flags: ReportFlags, command: Command) => {
      const { formatSummaryTable, rebuildRunFiles } = await import('../report/index.js')
      const given = (key: string) => command.getOptionValueSource(key) === 'cli'
      const run = await rebuildRunFiles(runFolderOf(dir), {
        ...(flags.out && { out: flags.out }),
        ...(flags.threshold && { thresholds: flags.threshold }),
        ...(given('defaultSlos') && { defaultSlos: flags.defaultSlos }),
        ...(flags.baseline && { baseline: flags.baseline }),
        ...(flags.junit && { junit: flags.junit }),
        ...(flags.markdown && { markdown: flags.markdown }),
      })
      const out: string[] = []
      if (!flags.quiet) out.push(formatSummaryTable(run.summary, { color: useColor() }))
      if (run.tornLine !== undefined)
        out.push(`Skipped a torn last line (line ${run.tornLine}) of series.ndjson.`)
      if (run.files.summary) out.push(`summary: ${run.files.summary}`, `report:  ${run.files.report}`)
      else
        out.push(
          "Re-judged: the run's own summary.json and report.html keep its verdict (give --out DIR to write these).",
        )
      if (run.files.junit) out.push(`junit:   ${run.files.junit}`)
      if (run.files.markdown) out.push(`markdown: ${run.files.markdown}`)
      process.stdout.write(`${out.join('\n')}\n`)
      if (!run.summary.passed) process.exitCode = EXIT.thresholdsFailed
    })
}
