import type { Command } from 'commander'
import { shownConfig } from '../config/show.js'
import { addRunFlags, runConfigFromCommand } from './run-flags.js'

/** `checkin-load config [run flags]`: validates flags + config file and prints the RunConfig a run would use. */
export function registerConfigCommand(program: Command): void {
  const command = program
    .command('config')
    .description(
      'check run flags and config file, and print the resolved config as JSON, itself a valid --config file (sends no load)',
    )
  addRunFlags(command).action(() => {
    process.stdout.write(`${JSON.stringify(shownConfig(runConfigFromCommand(command)), null, 2)}\n`)
  })
}
