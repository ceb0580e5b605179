import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import { createServer as createNetServer } from 'node:net'
import { after } from 'node:test'
import { parseDuration } from '../../src/config/parse.js'
import type { Summary } from '../../src/model/results.js'
import { assertCountsAddUp, type CliRun, checkedRun, runCli, said, tempDir } from './run-cli.js'

/**
 * Shared by the fault matrix's files (transport.test.ts, response.test.ts; docs/reliability.md):
 * `checkin-load run` spawned as a user runs it, against a target that misbehaves in one way per row. For every row: the run ends on time, exits with the
 * documented code, counts every failed request under the right kind, writes series.ndjson (ending
 * in its end line), summary.json and report.html, and keeps its memory bounded.
 *
 * Load: --arrival constant at --scale 0.1 is 5 visits a second, so a 3 s run asks exactly 15
 * get_session requests (the first step of every visit); a visit whose step fails sends no more.
 * --timeout bounds every wait, and the drain after the last arrival lasts at most timeout + 1 s. It
 * is 3 s by default: on a machine loaded far beyond its cores the generator's event loop can stall
 * for half a second, and a refusal or a garbage answer must not turn into a timeout; the rows
 * about timeouts set 1 s.
 */
export const DURATION_S = 3
export const TIMEOUT_S = 3
/** a hang detector: startup, load, drain, files take 5-15 s; the run's own clock is checked tighter */
export const WALL_BOUND_MS = 45_000
/** peak RSS of the generator: about 110-160 MB whatever the fault */
export const RSS_BOUND_MB = 300

/** --out folders made by this file's runs, removed when the file's tests are done */
const outs: string[] = []
after(() => {
  for (const out of outs) rmSync(out, { recursive: true, force: true })
})

export function runArgs(target: string, out: string, extra: readonly string[] = []): string[] {
  return [
    'run',
    '--target',
    target,
    '--duration',
    `${DURATION_S}s`,
    '--scale',
    '0.1',
    '--arrival',
    'constant',
    '--timeout',
    `${TIMEOUT_S}s`,
    '--quiet',
    '--no-default-slos',
    '--out',
    out,
    '--seed',
    '7',
    // bare API calls: each fault then meets the profile's own rows (in browser traffic the
    // fault server's answer to the first preflight would end every visit as a cors error)
    '--traffic',
    'api',
    ...extra,
  ]
}

export interface Ran {
  readonly run: CliRun
  readonly summary: Summary
  readonly dir: string
  readonly lines: unknown[]
  readonly why: string
}

/** Runs checkin-load with the args `build` gives for a fresh --out folder; checks what every row must hold. */
export async function runWith(
  build: (out: string) => string[],
  expectedExit: number,
  onStdoutLine?: (line: string, child: ChildProcess) => void,
): Promise<Ran> {
  const out = tempDir('fault')
  outs.push(out)
  const run = await runCli(build(out), { ...(onStdoutLine && { onStdoutLine }) })
  const why = said(run)
  assert.equal(run.code, expectedExit, why)
  assert.ok(run.wallMs < WALL_BOUND_MS, `ended on time: ${why}`)
  assert.ok(run.peakRssMb < RSS_BOUND_MB, `peak RSS ${run.peakRssMb} MB: ${why}`)
  assert.doesNotMatch(run.stderr, /internal error|\n\s+at /, `no internal error, no stack: ${why}`)
  const { dir, summary, lines } = checkedRun(out, why)
  assert.ok(summary.generator.maxRssMb < RSS_BOUND_MB, `maxRssMb ${summary.generator.maxRssMb}`)
  // the run's own clock: the stages, then a drain of at most timeout + 1 s (loose: a busy machine)
  const args = build('')
  const plannedS = durationS(lastValue(args, '--duration') ?? `${DURATION_S}s`)
  const timeoutS = durationS(lastValue(args, '--timeout') ?? `${TIMEOUT_S}s`)
  assert.ok(
    summary.durationS <= plannedS + timeoutS + 1 + 3,
    `the run lasted ${summary.durationS} s for ${plannedS} s planned: ${why}`,
  )
  assertCountsAddUp(summary, why)
  assert.equal(summary.total.errors.other, undefined, `no unclassified failure: ${why}`)
  return { run, summary, dir, lines, why }
}

function lastValue(args: readonly string[], flag: string): string | undefined {
  const at = args.lastIndexOf(flag)
  return at >= 0 ? args[at + 1] : undefined
}

const durationS = (text: string) => parseDuration(text) / 1000

/** The common case: the matrix's arguments against `target`, plus `extra`. */
export function runAgainst(
  target: string,
  expectedExit: number,
  extra: readonly string[] = [],
): Promise<Ran> {
  return runWith((out) => runArgs(target, out, extra), expectedExit)
}

/**
 * A port nothing listens on, outside the ephemeral range (32768-60999) from which port-0 servers
 * (these tests' own, run concurrently, and other tests on the machine) get theirs: it stays closed.
 */
export async function unusedPort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000)
    const free = await new Promise<boolean>((resolve) => {
      const server = createNetServer()
      server.once('error', () => resolve(false))
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
    })
    if (free) return port
  }
  throw new Error('no free port found between 20000 and 30000')
}

export function getSession(summary: Summary) {
  return summary.endpoints.get_session!
}
