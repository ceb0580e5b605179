import type { Command } from 'commander'
import { UsageError } from '../errors.js'

/**
 * Options a command shares (the run flags) but cannot use: hidden from its --help, and refused
 * before its action with why, never silently dropped. One place decides both, so a command's help
 * lists only what it accepts (test/cli/help.test.ts checks every command mechanically).
 *
 * `reasons`: attribute name (commander's, e.g. prometheusPort) -> why it does not apply, or
 * `{ message }`: the whole message (a command that had its own wording for it).
 */
export function notApplicable(
  command: Command,
  reasons: Readonly<Record<string, string | { readonly message: string }>>,
): Command {
  for (const key of Object.keys(reasons)) {
    const option = command.options.find((o) => o.attributeName() === key)
    if (!option) throw new Error(`${command.name()} has no option ${key} to refuse`)
    option.hideHelp()
  }
  return command.hook('preAction', (_self, acting) => {
    if (acting !== command) return
    for (const [key, why] of Object.entries(reasons)) {
      if (command.getOptionValueSource(key) !== 'cli') continue
      const flag = command.options.find((o) => o.attributeName() === key)!.long
      throw new UsageError(
        typeof why === 'string' ? `${flag} does not apply to ${commandPath(command)}: ${why}` : why.message,
      )
    }
  })
}

/** Gives a shared option another description on one command (k8s: --target is required there). */
export function redescribe(command: Command, key: string, description: string): Command {
  const option = command.options.find((o) => o.attributeName() === key)
  if (!option) throw new Error(`${command.name()} has no option ${key}`)
  option.description = description
  return command
}

/** A command by the words that call it: `export k6`, not `k6`. */
function commandPath(command: Command): string {
  const words: string[] = []
  for (let c: Command | null = command; c?.parent; c = c.parent) words.unshift(c.name())
  return words.join(' ')
}
