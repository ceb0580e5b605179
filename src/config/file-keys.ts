import type { z } from 'zod'
import { ConfigError } from '../errors.js'

/**
 * The keys of a config file: RunConfig's (camelCase, as `checkin-load config` prints them) and
 * the text forms users type (duration, timeout...). A flag's spelling is accepted for the key it
 * names (`max-in-flight:` is `maxInFlight:`, as the README promises); any other key is refused
 * with the nearest known one.
 */

/** Flags whose config key is spelled otherwise; the value to write is in the hint. */
const FLAG_HINTS: Readonly<Record<string, string>> = {
  ca: 'caFile: FILE',
  tag: 'tags: [key:value]',
  header: 'headers: {name: value}',
  'header-from-env': 'headersFromEnv: {name: ENV_VAR}',
  threshold: 'thresholds: {METRIC: [CONDITION]}',
  'no-default-slos': 'defaultSlos: false',
  config: 'no key: a config file cannot name another',
  'mock-workers': 'mockWorkers: N',
}

const camel = (key: string) => key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())

/** Levenshtein distance, for "did you mean" (keys are short). */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1))
      diagonal = above
    }
  }
  return row[b.length]!
}

/** The known key nearest to `key`, if one is near enough to be what was meant. */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  const plain = (k: string) => k.toLowerCase().replace(/[-_]/g, '')
  const same = known.find((k) => plain(k) === plain(key))
  if (same) return same
  let best: { key: string; d: number } | undefined
  for (const k of known) {
    const d = distance(plain(key), plain(k))
    if (!best || d < best.d) best = { key: k, d }
  }
  return best && best.d <= Math.max(2, Math.floor(key.length / 4)) ? best.key : undefined
}

/** The file's object with flag spellings turned into keys; unknown keys refused with a hint. */
export function normalizeKeys(
  data: Record<string, unknown>,
  known: readonly string[],
  source: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(data)) {
    const name = known.includes(key) ? key : known.includes(camel(key)) ? camel(key) : undefined
    if (name === undefined) {
      const hint = FLAG_HINTS[key] ?? FLAG_HINTS[key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)]
      const near = nearestKey(key, known)
      const fix = hint ? `write ${hint}` : near ? `did you mean ${near}?` : `known keys: ${known.join(', ')}`
      throw new ConfigError(`${source}: unknown key "${key}": ${fix}`)
    }
    if (Object.hasOwn(out, name)) {
      throw new ConfigError(`${source}: "${key}" and "${name}" are the same setting: keep one`)
    }
    out[name] = value
  }
  return out
}

/** What to write instead, per top-level key whose value was refused. */
const KEY_FIX: Readonly<Record<string, string>> = {
  stages:
    'write stages as "1m:0.1,5m:1" or a list of {duration: 30s, target: 0.5} (or {durationMs: 30000, target: 0.5})',
  thresholds:
    'write thresholds as {"http_req_duration{endpoint:post_session}": ["p(95)<500", {threshold: "p(99)<900", abortOnFail: true}]} or as the list `checkin-load config` prints',
  duration: 'write a duration like 90s or 5m',
  timeout: 'write a duration like 30s',
  headers: 'write headers as {name: value}',
  headersFromEnv: 'write headersFromEnv as {header-name: ENV_VAR}',
  shard: 'write shard as {index: 0, count: 4}',
  tags: 'write tags as a list of "key:value"',
}

type Issue = z.core.$ZodIssue

/** The issue that says most: inside a union, the branch's issue that got furthest into the value. */
function deepestIssue(issue: Issue): Issue {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue
  let best: Issue = issue
  let bestDepth = -1
  for (const branch of issue.errors) {
    for (const inner of branch) {
      const deeper = deepestIssue({ ...inner, path: [...issue.path, ...inner.path] } as Issue)
      if (deeper.path.length > bestDepth) {
        best = deeper
        bestDepth = deeper.path.length
      }
    }
  }
  return best
}

/** A zod error as one line: the key path, what is wrong, and what to write. */
export function describeConfigError(error: z.ZodError, source: string): string {
  const first = error.issues[0]
  if (!first) return `${source} is invalid`
  const issue = deepestIssue(first)
  const path = issue.path.map(String)
  const where = path.length > 0 ? path.join('.') : '(top level)'
  const fix = KEY_FIX[path[0] ?? '']
  let message = issue.message
  if (issue.code === 'unrecognized_keys') {
    message = `unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}`
  }
  return `${source}: ${where}: ${message}${fix ? `; ${fix}` : ''}`
}
