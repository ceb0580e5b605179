import type { Command } from 'commander'
import { useColor } from './color.js'

export function registerCompareCommand(program: Command): void {
  program
    .command('compare')
    .description('compare two runs endpoint by endpoint: deltas and a regression verdict')
    .argument('<base>', 'the earlier run folder (or its summary.json)')
    .argument('<new>', 'the later run folder (or its summary.json)')
    .option('--json', 'print the comparison as JSON for scripts')
    .addHelpText(
      'after',
      `
The verdict's rules are printed with the comparison (and listed in docs/report.md).

Examples:
  checkin-load compare results/before results/after
  checkin-load compare results/before results/after --json | jq .verdict`,
    )
    .action(async (base: string, next: string, flags: { json?: boolean }) => {
      const { compareSummaries, formatComparison, readSummaryFile } = await import('../report/index.js')
      const comparison = compareSummaries(await readSummaryFile(base), await readSummaryFile(next))
      process.stdout.write(
        flags.json
          ? `${JSON.stringify(comparison, null, 2)}\n`
          : formatComparison(comparison, { color: useColor() }),
      )
    })
}
