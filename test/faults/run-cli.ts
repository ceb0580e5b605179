import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Summary, summarySchema } from '../../src/model/results.js'

/**
 * `checkin-load` as a user runs it, for the fault matrix and the reliability and safety tests: a
 * child process with piped output, its exit code, its wall time and its peak memory (VmHWM from
 * /proc, polled while it runs), with a hard bound on its life so that no test can hang.
 */
export const BIN = fileURLToPath(new URL('../../../bin/checkin-load.js', import.meta.url))

export interface CliRun {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
  readonly wallMs: number
  /** the child's peak resident memory (VmHWM), MB; 0 when /proc could not be read */
  readonly peakRssMb: number
}

export interface CliOptions {
  readonly env?: NodeJS.ProcessEnv
  /** killed with SIGKILL after this long (default 60 s): no test hangs */
  readonly killAfterMs?: number
  /** wrap the command in `bash -c 'ulimit -f N; exec ...'`: files larger than N KiB fail (EFBIG) */
  readonly fileSizeLimitKb?: number
  /** called once with the child as soon as it is spawned */
  readonly onSpawn?: (child: ChildProcess) => void
  /** called with each complete line of stdout, and the child */
  readonly onStdoutLine?: (line: string, child: ChildProcess) => void
}

/** Reads VmHWM (peak RSS) of a live process, in MB; 0 if it is gone. */
export function peakRssMbOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const match = /VmHWM:\s+(\d+) kB/.exec(status)
    return match ? Number(match[1]) / 1024 : 0
  } catch {
    return 0
  }
}

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  const started = Date.now()
  const env = { ...process.env, NO_COLOR: '1', ...options.env }
  const child =
    options.fileSizeLimitKb === undefined
      ? spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(
          'bash',
          ['-c', `ulimit -f ${options.fileSizeLimitKb}; exec "$@"`, 'bash', process.execPath, BIN, ...args],
          { env, stdio: ['ignore', 'pipe', 'pipe'] },
        )
  options.onSpawn?.(child)
  let stdout = ''
  let stderr = ''
  let pending = ''
  let peak = 0
  child.stdout!.setEncoding('utf8')
  child.stdout!.on('data', (chunk: string) => {
    stdout += chunk
    pending += chunk
    let nl = pending.indexOf('\n')
    while (nl >= 0) {
      options.onStdoutLine?.(pending.slice(0, nl), child)
      pending = pending.slice(nl + 1)
      nl = pending.indexOf('\n')
    }
  })
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (chunk: string) => {
    stderr += chunk
  })
  const poll = setInterval(() => {
    if (child.pid !== undefined) peak = Math.max(peak, peakRssMbOf(child.pid))
  }, 100)
  const guard = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 60_000)
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('exit', () => {
      clearInterval(poll)
      clearTimeout(guard)
    })
    child.on('close', (code, signal) => {
      resolve({ code, signal, stdout, stderr, wallMs: Date.now() - started, peakRssMb: Math.round(peak) })
    })
  })
}

/** The start line of `run` without --quiet: "checkin-load run <id> -> <target>, Ns planned, ..." */
export const START_LINE = /^checkin-load run \S+ -> .*planned/

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `checkin-load-${prefix}-`))
}

/** The run folders under an --out folder. */
export function runDirs(out: string): string[] {
  return existsSync(out) ? readdirSync(out).map((name) => join(out, name)) : []
}

export function readSummary(dir: string): Summary {
  return summarySchema.parse(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')))
}

/** The one run folder under `out`, checked: series.ndjson ends in its end line, summary.json valid, report.html written. */
export function checkedRun(out: string, why: string): { dir: string; summary: Summary; lines: unknown[] } {
  const dirs = runDirs(out)
  assert.equal(dirs.length, 1, `one run folder under ${out}: ${why}`)
  const dir = dirs[0]!
  const lines = readFileSync(join(dir, 'series.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as unknown)
  assert.equal((lines[0] as { type: string }).type, 'header', why)
  assert.equal((lines.at(-1) as { type: string }).type, 'end', `series.ndjson ends in its end line: ${why}`)
  const summary = readSummary(dir)
  assert.ok(statSync(join(dir, 'report.html')).size > 10_000, `report.html written: ${why}`)
  return { dir, summary, lines }
}

/** Every request is either ok or counted under exactly one error kind. */
export function assertCountsAddUp(summary: Summary, why: string): void {
  const errors = Object.values(summary.total.errors).reduce((a, b) => a + (b ?? 0), 0)
  assert.equal(summary.total.ok + errors, summary.total.requests, `ok + errors = requests: ${why}`)
}

/** The error kinds seen, as a sorted list. */
export function errorKinds(summary: Summary): string[] {
  return Object.entries(summary.total.errors)
    .filter(([, n]) => (n ?? 0) > 0)
    .map(([kind]) => kind)
    .sort()
}

/** A line for assertion messages: what the child said. */
export function said(run: CliRun): string {
  return `exit ${run.code} (${run.signal ?? 'no signal'}) after ${run.wallMs} ms\nstdout: ${run.stdout.slice(-1500)}\nstderr: ${run.stderr.slice(-1500)}`
}
