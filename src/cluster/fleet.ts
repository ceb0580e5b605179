import { type ChildProcess, fork } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { RunConfig } from '../config/schema.js'
import type { EngineResult } from '../engine/index.js'
import { ConfigError } from '../errors.js'
import type { SeriesSecond } from '../model/results.js'
import { SecondAligner } from './aligner.js'
import { shardConfigFile } from './k8s.js'
import { isWorkerMessage, type ParentMessage, WORKER_ENV, type WorkerTotals } from './protocol.js'

/**
 * `run --workers N`: N worker processes, each `checkin-load run --shard i/N` from one shared start
 * time (exactly what a Kubernetes pod runs), driven by the parent run. Why processes, not worker
 * threads: each worker gets its own heap, garbage collector, event loop and CPU accounting (the
 * generator's self-watch reads process.cpuUsage(), which a thread would share), a crash or an
 * out-of-memory ends one worker, not the run, and a worker is the very command the Kubernetes path
 * runs, so both paths are one path.
 *
 * The workers send their per-second lines over IPC (src/cluster/child-link.ts); the fleet lines
 * them up (SecondAligner), merges each second exactly (counts add, histograms add) and hands it to
 * the parent run's pipeline through `onSecond`, as the engine would: one series, one summary, one
 * live view, one set of exporters, one exit code. Each worker also writes its own run folder under
 * `<run folder>/shards/<i>/<run id>`, so nothing is lost if the parent dies (`checkin-load merge`
 * merges those folders alone).
 *
 * The fleet has the engine's surface (run, stop, abort, draining), so the run command drives
 * either the same way. stop() and abort() are passed on to the workers over IPC; a worker whose
 * parent disappears stops by itself. A worker that dies is reported (`failures`) and the run goes
 * on with the others.
 */
export interface FleetHooks {
  /** time zero of the run (epoch ms): the shared start time */
  onStart?(startedAtMs: number): void
  /** one merged second, t = 0, 1, 2... */
  onSecond?(second: SeriesSecond): void
}

export interface FleetOptions {
  readonly workers: number
  /** the parent's validated config: every worker runs it, one shard each */
  readonly config: RunConfig
  /** the target URL (the parent's embedded stand-in when the config has none) */
  readonly target: string
  readonly runId: string
  readonly runDir: string
  readonly seed: number
  /** length of the stages, ms */
  readonly plannedMs: number
  readonly hooks?: FleetHooks
  /** something the user should know (a worker's warning, a worker that died) */
  readonly onWarning?: (message: string) => void
  /** wait this long for a slow worker's second before going on without it, ms (default 2000) */
  readonly graceMs?: number
  /** the shared start is this long after the last worker is ready, ms (default 500) */
  readonly startMarginMs?: number
  /** most time to wait for every worker to be ready, ms (default 60 s); the late start late */
  readonly readyTimeoutMs?: number
  /** time a worker gets beyond its own bounds (drain) to end before it is killed, ms (default 30 s) */
  readonly watchdogSlackMs?: number
  /** the checkin-load executable (default: this package's bin/checkin-load.js) */
  readonly binPath?: string
}

/** The fleet's outcome: the engine's figures summed over the workers, and what went wrong. */
export interface FleetResult extends EngineResult {
  readonly workers: number
  /** each worker's own run folder */
  readonly shardDirs: readonly string[]
  /** one line per worker that failed (died, or ended with an error) */
  readonly failures: readonly string[]
  /** worker seconds that came in after their second went out (added to the next one) */
  readonly lateSeconds: number
}

/** dist/src/cluster/fleet.js -> <package>/bin/checkin-load.js */
export const BIN_PATH = fileURLToPath(new URL('../../../bin/checkin-load.js', import.meta.url))

/** Subfolder of the run folder holding the workers' config and their own run folders. */
export const SHARDS_DIR = 'shards'

/**
 * Workers of a run when --workers is not given: one per core but one when the target is elsewhere
 * (the last core for the system and the terminal); one when the embedded stand-in shares the
 * machine (it needs the other cores) or when the run is itself a shard (a pod, or a worker).
 */
export function defaultWorkers(
  config: Pick<RunConfig, 'target' | 'shard'>,
  cores: number = availableParallelism(),
): number {
  if (config.shard !== undefined || config.target === undefined) return 1
  return Math.max(1, cores - 1)
}

/** The workers of a run: --workers, or the default; refuses --workers N with --shard. */
export function workersOf(config: Pick<RunConfig, 'target' | 'shard' | 'workers'>): number {
  if (config.workers !== undefined && config.workers > 1 && config.shard !== undefined) {
    throw new ConfigError(
      '--workers and --shard do not go together: a shard runs in one process (run more shards instead)',
    )
  }
  return config.workers ?? defaultWorkers(config)
}

/** Environment variables that carry the run's literal --header values to the workers. */
export const HEADER_ENV_PREFIX = 'CHECKIN_LOAD_WORKER_HEADER_'

/**
 * What the workers are launched with: the config file they read (the parent's config, minus what
 * only the parent does, with the in-flight cap and connections shared out) and the environment it
 * needs. Literal header values (secrets, often) never
 * go into the file, which stays in the run folder: each travels in an environment variable, and
 * the file names the variable (headersFromEnv), as a user would for a pod.
 */
export function workerLaunch(
  config: RunConfig,
  workers: number,
): {
  file: Record<string, unknown>
  env: Record<string, string>
} {
  const env: Record<string, string> = {}
  const headersFromEnv: Record<string, string> = { ...config.headersFromEnv }
  Object.entries(config.headers).forEach(([name, value], i) => {
    env[`${HEADER_ENV_PREFIX}${i}`] = value
    headersFromEnv[name] = `${HEADER_ENV_PREFIX}${i}`
  })
  const { dogstatsd: _dogstatsd, ...file } = shardConfigFile({
    ...config,
    // the run's caps, shared out: N workers together hold as many flows and connections as one
    maxInFlight: Math.ceil(config.maxInFlight / workers),
    ...(config.connections !== undefined && { connections: Math.ceil(config.connections / workers) }),
    headers: {},
    headersFromEnv,
    // the parent judges the merged run and stops every worker; a worker must not stop alone
    thresholds: config.thresholds.map((t) => ({ ...t, abortOnFail: false })),
  })
  return { file: { ...file, quiet: true, prometheusLingerMs: 0 }, env }
}

/**
 * The command line of worker `index` of `count`: a pod's (src/cluster/k8s.ts), but for the start
 * time, which comes over IPC once every worker is ready.
 */
export function workerArgs(
  options: Pick<FleetOptions, 'runId' | 'runDir' | 'seed' | 'target'>,
  index: number,
  count: number,
  configPath: string,
): string[] {
  return [
    'run',
    '--config',
    configPath,
    '--target',
    options.target,
    '--shard',
    `${index}/${count}`,
    '--seed',
    String(options.seed),
    '--run-id',
    options.runId,
    '--out',
    join(options.runDir, SHARDS_DIR, String(index)),
    '--workers',
    '1',
    '--quiet',
  ]
}

interface Worker {
  readonly index: number
  readonly child: ChildProcess
  readonly exited: Promise<void>
  ended: boolean
  /** when its engine finished (its end line), epoch ms */
  endedAtMs?: number
  settled: boolean
  ready: boolean
  totals?: WorkerTotals
  lastT: number
  stderrTail: string
}

const STDERR_TAIL = 2000
/** Time a worker gets, beyond its own bounds, to write its files and exit before it is killed. */
const WATCHDOG_SLACK_MS = 30_000

export class ShardFleet {
  readonly workers: number
  private phase: 'idle' | 'running' | 'done' = 'idle'
  private stopRequested = false
  private abortRequested = false
  private running: Worker[] = []
  /** the shared start, once every worker is ready */
  private startAtMs: number | undefined
  /** wakes run() up when a worker is ready or gone, or a stop is asked */
  private wake: () => void = () => {}
  /** kills the workers still running when they should long have ended (a hung worker) */
  private watchdog: { atMs: number; timer: NodeJS.Timeout } | undefined
  private onWarning: (message: string) => void = () => {}

  constructor(private readonly options: FleetOptions) {
    this.workers = options.workers
  }

  /** The stages are over (or a stop was asked): the workers are finishing their flows in flight. */
  get draining(): boolean {
    return (
      this.stopRequested ||
      (this.startAtMs !== undefined && Date.now() >= this.startAtMs + this.options.plannedMs)
    )
  }

  stop(): void {
    this.stopRequested = true
    this.tell({ type: 'stop' })
    this.wake()
    if (this.phase === 'running') this.armWatchdog(Date.now() + this.drainAllowanceMs())
  }

  abort(): void {
    this.stopRequested = true
    this.abortRequested = true
    this.tell({ type: 'abort' })
    this.wake()
    if (this.phase === 'running')
      this.armWatchdog(Date.now() + (this.options.watchdogSlackMs ?? WATCHDOG_SLACK_MS))
  }

  /** How long workers may take to end after their arrivals stop: their drain, then some slack. */
  private drainAllowanceMs(): number {
    return this.options.config.timeoutMs + 1000 + (this.options.watchdogSlackMs ?? WATCHDOG_SLACK_MS)
  }

  /** Kills, at `atMs` (or earlier if armed earlier), the workers that have not ended by then. */
  private armWatchdog(atMs: number): void {
    if (this.watchdog !== undefined && this.watchdog.atMs <= atMs) return
    if (this.watchdog !== undefined) clearTimeout(this.watchdog.timer)
    const timer = setTimeout(
      () => {
        for (const w of this.running) {
          if (w.settled) continue
          this.onWarning(`worker ${w.index} did not end in time: killed`)
          w.child.kill('SIGKILL')
        }
      },
      Math.max(0, atMs - Date.now()),
    )
    this.watchdog = { atMs, timer }
  }

  async run(): Promise<FleetResult> {
    if (this.phase !== 'idle') throw new Error('ShardFleet.run() called twice')
    this.phase = 'running'
    const { options } = this
    const warn = (message: string) => options.onWarning?.(message)
    this.onWarning = warn
    const failures: string[] = []
    const aligner = new SecondAligner({
      sources: options.workers,
      graceMs: options.graceMs ?? 2000,
      emit: (second) => options.hooks?.onSecond?.(second),
    })
    const shardsDir = join(options.runDir, SHARDS_DIR)
    const shardDirs = Array.from({ length: options.workers }, (_, i) =>
      join(shardsDir, String(i), options.runId),
    )
    if (!this.stopRequested) {
      mkdirSync(shardsDir, { recursive: true })
      const configPath = join(shardsDir, 'run.json')
      const launch = workerLaunch(options.config, options.workers)
      writeFileSync(configPath, `${JSON.stringify(launch.file, null, 2)}\n`)
      for (let i = 0; i < options.workers; i++) {
        this.running.push(this.launch(i, configPath, launch.env, aligner, failures, warn))
      }
      await this.allReady(options.readyTimeoutMs ?? 60_000)
    }
    // time zero: a little after the last worker is ready (or --start-at, if later)
    const startAtMs = Math.max(options.config.startAtMs ?? 0, Date.now() + (options.startMarginMs ?? 500))
    this.startAtMs = startAtMs
    options.hooks?.onStart?.(startAtMs)
    for (const w of this.running) if (w.ready) this.send(w, { type: 'start', atMs: startAtMs })
    this.armWatchdog(startAtMs + options.plannedMs + this.drainAllowanceMs())
    const ticker = setInterval(() => aligner.tick(), 100)
    try {
      await Promise.all(this.running.map((w) => w.exited))
    } finally {
      clearInterval(ticker)
      if (this.watchdog !== undefined) clearTimeout(this.watchdog.timer)
    }
    aligner.finish()
    this.phase = 'done'
    if (aligner.lateSeconds > 0) {
      warn(
        `${aligner.lateSeconds} worker second(s) came in more than the grace late: each was added to the next second (totals exact, timing off by a second)`,
      )
    }
    const sum = (pick: (t: WorkerTotals) => number) =>
      this.running.reduce((total, w) => total + (w.totals ? pick(w.totals) : 0), 0)
    const ends = this.running.flatMap((w) => (w.endedAtMs !== undefined ? [w.endedAtMs] : []))
    return {
      startedAtMs: startAtMs,
      // when the last worker's engine finished (not when it had written its files and exited)
      endedAtMs: ends.length > 0 ? Math.max(...ends) : Date.now(),
      stopped: this.stopRequested || this.running.some((w) => w.totals?.stopped),
      aborted: this.abortRequested || this.running.some((w) => w.totals?.aborted),
      abandonedInFlight: sum((t) => t.abandonedInFlight),
      arrivals: sum((t) => t.arrivals),
      droppedArrivals: sum((t) => t.droppedArrivals),
      connections: sum((t) => t.connections),
      waitedForConnection: sum((t) => t.waitedForConnection),
      workers: options.workers,
      shardDirs,
      failures,
      lateSeconds: aligner.lateSeconds,
    }
  }

  /** Until every worker is ready or gone, a stop is asked, or the time is up. */
  private async allReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    // bounded: each pass waits for a change or the deadline
    while (!this.stopRequested && this.running.some((w) => !w.ready && !w.settled)) {
      const left = deadline - Date.now()
      if (left <= 0) {
        const late = this.running.filter((w) => !w.ready && !w.settled).map((w) => w.index)
        this.options.onWarning?.(
          `worker(s) ${late.join(', ')} not ready after ${Math.round(timeoutMs / 1000)} s: starting without waiting for them (they start late)`,
        )
        return
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      this.wake = () => {}
    }
  }

  private launch(
    index: number,
    configPath: string,
    env: Readonly<Record<string, string>>,
    aligner: SecondAligner,
    failures: string[],
    warn: (message: string) => void,
  ): Worker {
    const { options } = this
    const args = workerArgs(options, index, options.workers, configPath)
    const child = fork(options.binPath ?? BIN_PATH, args, {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, ...env, [WORKER_ENV]: '1' },
      execArgv: [],
    })
    let resolveExit: () => void = () => {}
    const worker: Worker = {
      index,
      child,
      exited: new Promise<void>((resolve) => {
        resolveExit = resolve
      }),
      ended: false,
      settled: false,
      ready: false,
      lastT: -1,
      stderrTail: '',
    }
    forEachLine(child.stderr!, (line) => {
      worker.stderrTail = `${worker.stderrTail}${line}\n`.slice(-STDERR_TAIL)
      const text = line.replace(/^checkin-load: (warning: )?/, '')
      if (text !== '' && !worker.ended) warn(`worker ${index}: ${text}`)
    })
    child.on('message', (message: unknown) => {
      if (!isWorkerMessage(message)) return
      switch (message.type) {
        case 'ready':
          worker.ready = true
          if (this.startAtMs !== undefined) {
            // the others started without it (it was not ready in time): it starts with them, late
            this.send(worker, { type: 'start', atMs: this.startAtMs })
            if (Date.now() > this.startAtMs) {
              warn(
                `worker ${index} was ready ${Date.now() - this.startAtMs} ms after the shared start: its first arrivals leave late (latency counts from their intended times)`,
              )
            }
          }
          this.wake()
          break
        case 'second':
          worker.lastT = Math.max(worker.lastT, message.second.t)
          aligner.add(index, message.second)
          break
        case 'end':
          worker.ended = true
          worker.endedAtMs = Date.parse(message.end.endedAt)
          aligner.close(index)
          break
        case 'totals':
          worker.totals = message.totals
          break
        case 'header':
          break
      }
    })
    const settle = (code: number | null, signal: NodeJS.Signals | null, error?: Error) => {
      if (worker.settled) return
      worker.settled = true
      aligner.close(index)
      const cleanEnd = worker.ended && worker.totals !== undefined && (code === 0 || code === 99)
      if (!cleanEnd) {
        const how = error ? `could not start (${error.message})` : `exited (${signal ?? `code ${code}`})`
        const where = worker.ended
          ? 'after its run'
          : worker.lastT >= 0
            ? `at second ${worker.lastT + 1}; its seconds up to there are in the results`
            : 'before its first second'
        const tail = lastLines(worker.stderrTail, 3)
        const line = `worker ${index} (shard ${index}/${options.workers}) ${how} ${where}${tail ? `: ${tail}` : ''}`
        failures.push(line)
        warn(line)
      }
      this.wake()
      resolveExit()
    }
    child.once('error', (error) => settle(null, null, error))
    // 'close' comes after the last message and the end of stderr
    child.once('close', (code, signal) => settle(code, signal))
    return worker
  }

  private send(worker: Worker, message: ParentMessage): void {
    if (!worker.child.connected) return
    try {
      worker.child.send(message)
    } catch {
      // the worker is gone: its 'close' reports it
    }
  }

  private tell(message: ParentMessage): void {
    for (const w of this.running) this.send(w, message)
  }
}

function lastLines(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join(' | ')
}

/** Calls onLine for each line a child prints (node:readline splits them, \r\n included). */
function forEachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', onLine)
}
