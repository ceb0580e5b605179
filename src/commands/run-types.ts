import type { EngineResult } from '../engine/index.js'
import type { RunObserver } from '../metrics/index.js'
import type { EndReason, GeneratorHealth, SeriesSecond, Summary } from '../model/results.js'
import type { DerivedProfile } from '../profile/types.js'
import type { WrittenFiles } from '../report/index.js'
import type { LoadSource, SecondListener } from '../session/index.js'

/**
 * `checkin-load run` as a library call: resolve the profile, start the embedded stand-in when
 * there is no target, drive the engine through the stages, write series.ndjson as it goes and
 * summary.json + report.html at the end, judge the thresholds. Prints nothing: the caller gets a
 * progress snapshot once a second and the outcome at the end (src/cli/run.ts prints them).
 *
 * Ending: at the end of the stages, arrivals stop and flows in flight get up to the timeout to
 * finish (the rest count as timeouts). stop() (the first SIGINT/SIGTERM) ends the same way, early;
 * a second signal ends at once. Either way the results of what was measured are written.
 */
export interface RunProgress {
  readonly runId: string
  readonly runDir: string
  readonly target: string
  /** seconds since the start (the second just folded ends here) */
  readonly elapsedS: number
  /** length of the stages, s */
  readonly plannedS: number
  /** arrivals stopped: flows in flight are finishing */
  readonly draining: boolean
  /** share of the profile asked at the end of this second (x --scale) */
  readonly share: number
  /** requests asked (sent + dropped) and completed in this second, all endpoints */
  readonly askedRps: number
  readonly achievedRps: number
  readonly endpoints: readonly LiveEndpoint[]
  readonly generator: GeneratorHealth
  /** the second just folded, as written to series.ndjson */
  readonly second: SeriesSecond
}

export interface LiveEndpoint {
  readonly endpoint: string
  /** in this second */
  readonly askedRps: number
  readonly achievedRps: number
  /** since the start */
  readonly requests: number
  readonly errors: number
  readonly dropped: number
  /** latency from the intended time, since the start (ms) */
  readonly p95Ms: number
}

export interface RunStarted {
  readonly runId: string
  readonly runDir: string
  readonly target: string
  /** the stand-in's URL when the run started one */
  readonly embedded: boolean
  readonly plannedS: number
  readonly seed: number
  readonly profile: DerivedProfile
  /** live exporters serving or sending metrics (Prometheus URL, DogStatsD address) */
  readonly exporters: readonly { readonly name: string; readonly url?: string | undefined }[]
  /** worker processes (--workers), each running one shard; 1: this process runs the engine */
  readonly workers?: number
  /** run --web: the live page's address, token included */
  readonly web?: string
}

export interface RunOptions {
  onStart?(info: RunStarted): void
  /**
   * every folded second, once written and accumulated (the session's subscriber hook: a live page
   * subscribes here); a listener that throws ends the run
   */
  readonly onSecond?: SecondListener
  /** the run's load source as soon as it exists: stop(), abort(), and later the rate's steering */
  onEngine?(engine: LoadSource): void
  onProgress?(progress: RunProgress): void
  /** more consumers of the per-second series (Prometheus, DogStatsD exporters) */
  readonly observers?: readonly RunObserver[]
  /** stop gracefully on the first SIGINT/SIGTERM, at once on the second (default true) */
  readonly handleSignals?: boolean
  /** a problem that does not stop the run (an exporter failing, DogStatsD unreachable) */
  onWarning?(message: string): void
  /** warm the hot path up before time zero, against a local throwaway server (default true) */
  readonly warmUp?: boolean
  /**
   * Called once the run is ready to send (target up, warmed up): resolves to the wall-clock start
   * (epoch ms). A worker of `run --workers N` gets the start shared by all workers this way.
   * Default: --start-at, or now.
   */
  startAt?(): Promise<number>
}

export interface RunOutcome {
  readonly runId: string
  readonly runDir: string
  readonly summary: Summary
  readonly files: WrittenFiles
  readonly endReason: EndReason
  readonly engine: EngineResult
  /**
   * 0 every threshold passed, 99 one failed, 1 the series could not be written (write_failed) or a
   * worker of --workers died (error): the results hold what was measured, but not the whole run
   */
  readonly exitCode: 0 | 1 | 99
  /** why the run ended early, when a threshold aborted it or a write failed */
  readonly note?: string
  /** run --web: the page stays up with the final report until `lingering` resolves (leave() cuts it short) */
  readonly page?: { readonly url: string; readonly lingering: Promise<void>; leave(): void }
}

/** The handle of a run in progress: stop() ends it gracefully, abort() at once. */
export interface RunHandle {
  readonly done: Promise<RunOutcome>
  stop(): void
  abort(): void
  /** the user scale (run --web), from a wall-clock time when given: a worker gets it from the parent */
  setUserScale(scale: number, atEpochMs?: number): void
}
