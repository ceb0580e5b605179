import { Option } from 'commander'
import { type NumberRule, parseDuration, parseNumber } from '../config/parse.js'

/**
 * Commander options whose values are parsed (and refused with a clear message) at the edge.
 * A parser throws a ConfigError, which main() prints as one line with exit code 2.
 */
export function numberOption(flags: string, description: string, rule: NumberRule = {}): Option {
  const name = flags.split(' ')[0]!.replace(/,$/, '')
  return new Option(flags, description).argParser((text: string) => parseNumber(text, name, rule))
}

export function durationOption(flags: string, description: string): Option {
  const name = flags.split(' ')[0]!.replace(/,$/, '')
  return new Option(flags, description).argParser((text: string) => parseDuration(text, name))
}

/** A repeatable option: each use appends to the list. */
export function listOption(flags: string, description: string): Option {
  return new Option(flags, description).argParser((text: string, previous: string[] | undefined) => [
    ...(previous ?? []),
    text,
  ])
}
