import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { decodeHistogram, type Histogram, newHistogram } from '../../src/model/histogram.js'
import {
  type EndReason,
  type SeriesEnd,
  type SeriesHeader,
  type SeriesLine,
  type SeriesSecond,
  type Summary,
  summarySchema,
} from '../../src/model/results.js'
import { latencyStatsMs } from '../../src/report/histogram-stats.js'
import { readSeries } from '../../src/report/index.js'
import { STARTED_AT_MS, synthesizeRun } from '../report/fixtures.js'

/** Helpers of the cluster's tests: the CLI as a process, synthetic shards, result files. */

export const BIN = fileURLToPath(new URL('../../../bin/checkin-load.js', import.meta.url))

export interface Ran {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

export interface Spawned {
  readonly child: ChildProcess
  readonly done: Promise<Ran>
}

/** `checkin-load ARGS` as a process, killed after `timeoutMs` (a test never hangs). */
export function spawnCli(args: readonly string[], timeoutMs = 60_000): Spawned {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const guard = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const done = new Promise<Ran>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => {
      clearTimeout(guard)
      resolve({ code, signal, stdout, stderr })
    })
  })
  return { child, done }
}

export const runCli = (args: readonly string[], timeoutMs?: number) => spawnCli(args, timeoutMs).done

export function readSummary(dir: string): Summary {
  return summarySchema.parse(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')))
}

export async function readLines(dir: string): Promise<SeriesLine[]> {
  const lines: SeriesLine[] = []
  for await (const line of readSeries(join(dir, 'series.ndjson'))) lines.push(line)
  return lines
}

export const secondsOf = (lines: readonly SeriesLine[]) =>
  lines.filter((l): l is SeriesSecond => l.type === 'second')

/** Requests asked of an endpoint (or all) over a series. */
export function askedOf(lines: readonly SeriesLine[], endpoint?: string): number {
  let asked = 0
  for (const s of secondsOf(lines)) {
    for (const [id, stats] of Object.entries(s.endpoints))
      if (endpoint === undefined || id === endpoint) asked += stats.asked
  }
  return asked
}

/** The latency histograms of several summaries (an endpoint's, or the total) added together. */
export function combinedLatency(summaries: readonly Summary[], endpoint?: string): Histogram {
  const total = newHistogram()
  for (const s of summaries) {
    const e = endpoint === undefined ? s.total : s.endpoints[endpoint]
    if (e && e.histogram !== '') total.add(decodeHistogram(e.histogram))
  }
  return total
}

/**
 * The latency stats the merge must give: percentiles of the shards' histograms added together,
 * clamped (as every summary is) to the exact extremes the shards recorded.
 */
export function mergedLatencyStats(summaries: readonly Summary[], endpoint?: string) {
  const own = summaries.map((s) => (endpoint === undefined ? s.total : s.endpoints[endpoint]!).latencyMs)
  return latencyStatsMs(combinedLatency(summaries, endpoint), {
    min: Math.round(Math.min(...own.map((l) => l.min)) * 1000),
    max: Math.round(Math.max(...own.map((l) => l.max)) * 1000),
  })
}

export interface ShardRun {
  readonly header: SeriesHeader
  readonly seconds: SeriesSecond[]
  readonly end: SeriesEnd | undefined
  readonly text: string
  readonly rawLatencyUs: ReadonlyMap<string, number[]>
}

/** A synthetic shard: a run of `seconds` seconds, shard index/count of run `runId`. */
export function shardRun(options: {
  readonly runId: string
  readonly index: number
  readonly count: number
  readonly seed: number
  readonly seconds: number
  /** its start, ms after the others' */
  readonly startOffsetMs?: number
  readonly end?: EndReason | null
  readonly config?: Record<string, unknown>
}): ShardRun {
  const run = synthesizeRun({
    seconds: options.seconds,
    seed: options.seed,
    runId: options.runId,
    ...(options.end !== undefined && { end: options.end }),
    ...(options.config && { config: options.config }),
  })
  const startedAtMs = STARTED_AT_MS + (options.startOffsetMs ?? 0)
  const header: SeriesHeader = {
    ...run.header,
    startedAtMs,
    startedAt: new Date(startedAtMs).toISOString(),
    shard: { index: options.index, count: options.count },
    config: { ...run.header.config, shard: { index: options.index, count: options.count } },
  }
  const end: SeriesEnd | undefined = run.end && {
    ...run.end,
    endedAt: new Date(Date.parse(run.end.endedAt) + (options.startOffsetMs ?? 0)).toISOString(),
  }
  const text = [header, ...run.seconds, ...(end ? [end] : [])]
    .map((line) => `${JSON.stringify(line)}\n`)
    .join('')
  return { header, seconds: run.seconds, end, text, rawLatencyUs: run.rawLatencyUs }
}

/** Waits (bounded) until the run has started (its series file holds the header), or fails with its output. */
export async function started(dir: string, run: Spawned, timeoutMs = 60_000): Promise<void> {
  const path = join(dir, 'series.ndjson')
  let exited: Ran | undefined
  run.done.then((ran) => {
    exited = ran
  })
  for (let waited = 0; waited < timeoutMs; waited += 100) {
    try {
      if (statSync(path).size > 0) return
    } catch {
      // not yet
    }
    if (exited)
      throw new Error(`the run ended before it started (${exited.code}): ${exited.stderr}${exited.stdout}`)
    await sleep(100)
  }
  run.child.kill('SIGKILL')
  const ran = await run.done
  throw new Error(`${path} did not appear within ${timeoutMs} ms: ${ran.stderr}${ran.stdout}`)
}

/** The worker processes of a parent, by shard index (Linux `ps`). */
export function workerPids(parentPid: number): Map<number, number> {
  let text = ''
  try {
    text = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(parentPid)], { encoding: 'utf8' })
  } catch {
    // ps exits 1 when the parent has no children (any more)
  }
  const pids = new Map<number, number>()
  for (const line of text.split('\n')) {
    const match = /^\s*(\d+) .* --shard (\d+)\/\d+/.exec(line)
    if (match) pids.set(Number(match[2]), Number(match[1]))
  }
  return pids
}

/** `run --workers 2` for 30 s at 0.3x against the embedded stand-in. */
export const workersRunArgs = (out: string, runId: string) => [
  'run',
  '--workers',
  '2',
  '--duration',
  '30s',
  '--scale',
  '0.3',
  '--no-default-slos',
  '--out',
  out,
  '--run-id',
  runId,
]
