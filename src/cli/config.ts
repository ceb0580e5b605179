import type { Command } from 'commander'
import { addRunFlags, runConfigFromCommand } from './run-flags.js'

/** `checkin-load config [run flags]`: validates flags + config file and prints the RunConfig a run would use. */
export function registerConfigCommand(program: Command): void {
  const command = program
    .command('config')
    .description('check run flags and config file, and print the resolved config as JSON (sends no load)')
  addRunFlags(command).action(() => {
    const config = runConfigFromCommand(command)
    const shown = {
      ...config,
      headers: Object.fromEntries(Object.keys(config.headers).map((name) => [name, '<redacted>'])),
    }
    process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`)
  })
}
