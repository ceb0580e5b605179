import type { Command } from 'commander'
import type { ThresholdSpec } from '../config/thresholds.js'
import { EXIT } from '../errors.js'
import { useColor } from './color.js'
import { addJudgingOptions } from './report.js'

interface MergeFlags {
  out: string
  threshold?: ThresholdSpec[]
  defaultSlos: boolean
  baseline?: string
  junit?: string
  markdown?: string
  quiet?: boolean
}

/**
 * `checkin-load merge DIR... --out DIR`: the shards of one run merged exactly into one run folder
 * (src/commands/merge.ts); prints the end table like `run` and exits 99 when a threshold fails.
 */
export function registerMergeCommand(program: Command): void {
  addJudgingOptions(
    program
      .command('merge')
      .description(
        'merge the run folders of the shards of one run (run --shard, Kubernetes pods) into one run folder, exactly',
      )
      .argument('<dirs...>', "the shards' run folders (or folders holding one run folder each)")
      .requiredOption(
        '--out <dir>',
        'the merged run folder to write (series.ndjson, summary.json, report.html)',
      ),
  )
    .addHelpText(
      'after',
      `
Seconds are aligned by wall clock; each second's counts add and its HDR histograms add, so merged
percentiles are those of all the shards' requests together. The run is judged by its own
thresholds (from the shards' config) and the default SLOs, unless --threshold is given.

Exit codes: 0 thresholds met, 99 a threshold failed, 2 not run folders of one run (different
runs, the same shard twice, not a run folder) or a bad flag.

Examples:
  checkin-load merge results/shard-0/stress-1 results/shard-1/stress-1 --out results/stress-1
  checkin-load merge collected/shard-* --out merged     # each shard-i holds one run folder`,
    )
    .action(async (dirs: string[], flags: MergeFlags, command: Command) => {
      const [{ mergeRuns }, { formatSummaryTable }] = await Promise.all([
        import('../commands/merge.js'),
        import('../report/index.js'),
      ])
      const given = (key: string) => command.getOptionValueSource(key) === 'cli'
      const merged = await mergeRuns(dirs, flags.out, {
        ...(flags.threshold && { thresholds: flags.threshold }),
        ...(given('defaultSlos') && { defaultSlos: flags.defaultSlos }),
        ...(flags.baseline && { baseline: flags.baseline }),
        ...(flags.junit && { junit: flags.junit }),
        ...(flags.markdown && { markdown: flags.markdown }),
      })
      for (const warning of merged.warnings) process.stderr.write(`checkin-load: warning: ${warning}\n`)
      const shards = merged.header.shards ?? []
      const out: string[] = []
      if (!flags.quiet) {
        out.push(
          `Merged ${shards.length} of ${shards[0]?.count ?? 0} shards of run ${merged.header.runId} (shards ${shards.map((s) => s.index).join(', ')}).`,
          '',
          formatSummaryTable(merged.summary, { color: useColor() }),
          '',
        )
      }
      out.push(`Results: ${merged.runDir}`, `Report:  ${merged.files.report}`)
      if (merged.files.junit) out.push(`JUnit:   ${merged.files.junit}`)
      if (merged.files.markdown) out.push(`Markdown: ${merged.files.markdown}`)
      process.stdout.write(`${out.join('\n')}\n`)
      if (!merged.summary.passed) process.exitCode = EXIT.thresholdsFailed
    })
}
