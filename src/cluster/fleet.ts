import { type ChildProcess, fork } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { SecondAligner } from './aligner.js'
import type { FleetOptions, FleetResult } from './fleet-types.js'
import { isWorkerMessage, type ParentMessage, WORKER_ENV, type WorkerTotals } from './protocol.js'
import { BIN_PATH, SHARDS_DIR, workerArgs, workerLaunch } from './worker-launch.js'

export type { FleetHooks, FleetOptions, FleetResult } from './fleet-types.js'
export {
  BIN_PATH,
  defaultWorkers,
  HEADER_ENV_PREFIX,
  SHARDS_DIR,
  workerArgs,
  workerLaunch,
  workersOf,
} from './worker-launch.js'

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
 *
 * What a worker is launched with (config file, environment, command line): worker-launch.ts; the
 * fleet's options and result: fleet-types.ts.
 */

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

/** How far ahead a user scale change is dated, so the IPC message reaches every worker before it applies. */
const SCALE_LEAD_MS = 50

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

  /**
   * The user scale (run --web) for every worker, from a moment a little ahead that all of them
   * share, so that their slices of the arrival stream stay one stream.
   */
  setUserScale(scale: number): void {
    this.tell({ type: 'scale', scale, atMs: Date.now() + SCALE_LEAD_MS })
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
