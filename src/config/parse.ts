import { ConfigError } from '../errors.js'

/**
 * Pure parsers for the values users type: durations, numbers, shares, stages, headers.
 * Each throws a ConfigError whose message names the value, what was expected and an example.
 */

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y

/** "250ms", "90s", "5m", "1h", "1m30s" -> milliseconds. A bare number is seconds. */
export function parseDuration(text: string, what = 'duration'): number {
  const trimmed = text.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return finiteMs(Math.round(Number(trimmed) * 1000), text, what)
  let ms = 0
  let index = 0
  DURATION_PART.lastIndex = 0
  while (index < trimmed.length) {
    DURATION_PART.lastIndex = index
    const match = DURATION_PART.exec(trimmed)
    if (!match) break
    ms += Number(match[1]) * DURATION_UNITS_MS[match[2]!]!
    index = DURATION_PART.lastIndex
  }
  if (trimmed === '' || index !== trimmed.length) {
    throw new ConfigError(`invalid ${what} "${text}": use a number with a unit, like 250ms, 90s, 5m or 1h`)
  }
  return finiteMs(Math.round(ms), text, what)
}

/** A duration of many digits loses whole milliseconds (or is Infinity): refused here, with the others. */
function finiteMs(ms: number, text: string, what: string): number {
  if (Number.isSafeInteger(ms)) return ms
  const shown = text.length > 40 ? `${text.slice(0, 40)}...` : text
  throw new ConfigError(`invalid ${what} "${shown}": too long to be a duration`)
}

/** Formats milliseconds back the way users write them: 90000 -> "1m30s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`
  const h = Math.floor(ms / 3_600_000)
  const m = Math.floor((ms % 3_600_000) / 60_000)
  const s = (ms % 60_000) / 1000
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${Number(s.toFixed(3))}s` : ''}` || '0s'
}

export interface NumberRule {
  readonly min?: number
  readonly max?: number
  readonly integer?: boolean
  /** the minimum itself is not allowed (e.g. a scale must be > 0) */
  readonly exclusiveMin?: boolean
}

/** A number from text, within bounds; `what` names it in the message (e.g. "--scale"). */
export function parseNumber(text: string, what: string, rule: NumberRule = {}): number {
  const trimmed = text.trim()
  const value = trimmed === '' ? Number.NaN : Number(trimmed)
  return checkNumber(value, what, rule, text)
}

export function checkNumber(value: number, what: string, rule: NumberRule, shown: unknown = value): number {
  const kind = rule.integer ? 'a whole number' : 'a number'
  if (!Number.isFinite(value) || (rule.integer && !Number.isInteger(value))) {
    throw new ConfigError(`${what} must be ${kind}, got "${String(shown)}"`)
  }
  if (rule.min !== undefined && (rule.exclusiveMin ? value <= rule.min : value < rule.min)) {
    throw new ConfigError(
      `${what} must be ${rule.exclusiveMin ? 'greater than' : 'at least'} ${rule.min}, got ${value}`,
    )
  }
  if (rule.max !== undefined && value > rule.max) {
    throw new ConfigError(`${what} must be at most ${rule.max}, got ${value}`)
  }
  return value
}

/** One stage of a run: the share of the profile moves linearly to `target` over `durationMs`. */
export interface Stage {
  readonly durationMs: number
  /** share of the profile (x --scale) reached at the end of the stage: 0.1 = 10 % */
  readonly target: number
}

/** "1m:0.1,5m:1" -> stages. Each item is DURATION:SHARE. */
export function parseStages(text: string): Stage[] {
  const items = text.split(',').map((item) => item.trim())
  if (items.length === 0 || items.every((item) => item === '')) {
    throw new ConfigError('--stages is empty: give DURATION:SHARE items, like "1m:0.1,5m:1"')
  }
  return items.map((item) => {
    const parts = item.split(':')
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
      throw new ConfigError(`invalid stage "${item}": write DURATION:SHARE, like "1m:0.1,5m:1"`)
    }
    const durationMs = parseDuration(parts[0]!, `stage duration in "${item}"`)
    if (durationMs <= 0) throw new ConfigError(`invalid stage "${item}": its duration must be more than 0`)
    const target = parseNumber(parts[1]!, `stage share in "${item}"`, { min: 0 })
    return { durationMs, target }
  })
}

export function formatStages(stages: readonly Stage[]): string {
  return stages.map((s) => `${formatDuration(s.durationMs)}:${s.target}`).join(',')
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const HEADER_EXAMPLE = 'write "Name: value", like "X-Key-Inflection: camel"'

/**
 * "Name: value" -> [name, value]; header names are case-insensitive, kept lower-case. A message
 * never repeats the value: it may be a secret (a typo like "Authorization Bearer ...").
 */
export function parseHeader(text: string): [string, string] {
  const colon = text.indexOf(':')
  if (colon <= 0) throw new ConfigError(`invalid header: no "Name:" before its value; ${HEADER_EXAMPLE}`)
  const name = text.slice(0, colon).trim()
  const value = text.slice(colon + 1).trim()
  checkHeader(name, value)
  return [name.toLowerCase(), value]
}

/** Control characters but tab: a line break in a value would end the header (undici refuses to send it). */
function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true
  }
  return false
}

/** A header as it will be sent: a token for a name, a value on one line (never repeated in the message). */
export function checkHeader(name: string, value: string): void {
  if (!HEADER_NAME.test(name)) {
    const shown = name.length > 40 ? `${name.slice(0, 40)}...` : name
    throw new ConfigError(`invalid header name "${shown}": ${HEADER_EXAMPLE}`)
  }
  if (hasControlCharacter(value)) {
    throw new ConfigError(
      `invalid value of header "${name}": it holds a line break or another control character; give it on one line`,
    )
  }
}

/** "I/N" -> the I-th (0-based) of N shards. */
export function parseShard(text: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim())
  const index = match ? Number(match[1]) : Number.NaN
  const count = match ? Number(match[2]) : Number.NaN
  if (match && count >= 1 && index === count) {
    // Jest, Playwright and Vitest number shards from 1: N/N is the likely slip
    throw new ConfigError(
      `invalid --shard "${text}": shards are numbered from 0, as Kubernetes' JOB_COMPLETION_INDEX: write I/N with 0 <= I < N, so the last of ${count} is ${count - 1}/${count}`,
    )
  }
  if (!match || count < 1 || index >= count) {
    throw new ConfigError(`invalid --shard "${text}": write I/N with 0 <= I < N, like 0/4`)
  }
  return { index, count }
}
