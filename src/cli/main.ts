import { readFileSync } from 'node:fs'
import { Command, CommanderError } from 'commander'
import { EXIT, isCheckinLoadError } from '../errors.js'
import { registerCapacityCommand } from './capacity.js'
import { registerCompareCommand } from './compare.js'
import { registerConfigCommand } from './config.js'
import { registerExportCommand } from './export.js'
import { registerK8sCommand } from './k8s.js'
import { registerMergeCommand } from './merge.js'
import { registerMockCommand } from './mock.js'
import { registerProfileCommand } from './profile.js'
import { registerReportCommand } from './report.js'
import { registerRunCommand } from './run.js'

/**
 * The command line: the only place that reads argv and decides exit codes. Each command lives in
 * its own file and loads its heavy modules lazily, so `checkin-load profile` starts fast.
 */
export function buildProgram(): Command {
  const program = new Command('checkin-load')
    .description(
      'Open-model load tests for the vets-api check-in endpoints, with an embedded stand-in vets-api.',
    )
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) })
  registerRunCommand(program)
  registerMockCommand(program)
  registerProfileCommand(program)
  registerReportCommand(program)
  registerCompareCommand(program)
  registerCapacityCommand(program)
  registerMergeCommand(program)
  registerK8sCommand(program)
  registerConfigCommand(program)
  registerExportCommand(program)
  for (const command of program.commands) {
    command.exitOverride()
  }
  return program
}

export async function main(argv: readonly string[]): Promise<number> {
  // `checkin-load ... | head` closes the pipe early: that ends the output, it is no error
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0)
    throw error
  })
  const program = buildProgram()
  try {
    await program.parseAsync(argv as string[], { from: 'user' })
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok
  } catch (error) {
    return reportError(error)
  }
}

/**
 * A message on one line whatever the user typed: a value echoed back with a line break or another
 * control character in it shows it escaped (\\n), so the message can't break up or fake lines.
 */
export function printable(message: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it escapes
  return message.replace(/[\u0000-\u001f\u007f]/g, (ch) => JSON.stringify(ch).slice(1, -1))
}

/** Prints one or two lines for a user's mistake; a stack only for our own bugs. */
export function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    // help and version are "errors" to commander; they already printed what was asked
    if (
      error.code === 'commander.helpDisplayed' ||
      error.code === 'commander.version' ||
      error.exitCode === 0
    ) {
      return EXIT.ok
    }
    return EXIT.usage
  }
  if (isCheckinLoadError(error)) {
    process.stderr.write(`checkin-load: ${printable(error.message)}\n`)
    return error.exitCode
  }
  const message =
    error instanceof Error ? (process.env.CHECKIN_LOAD_DEBUG ? error.stack : error.message) : String(error)
  process.stderr.write(
    `checkin-load: internal error: ${message}\n(set CHECKIN_LOAD_DEBUG=1 for the stack trace)\n`,
  )
  return EXIT.internal
}

const isEntryPoint = process.argv[1] !== undefined && /(checkin-load(\.js)?|main\.js)$/.test(process.argv[1])
if (isEntryPoint) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code
  })
}

/** This package's own version, from its package.json (dist/src/cli/main.js -> ../../../package.json). */
export function packageVersion(): string {
  const file = new URL('../../../package.json', import.meta.url)
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
}
