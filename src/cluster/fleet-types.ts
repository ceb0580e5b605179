import type { RunConfig } from '../config/schema.js'
import type { EngineResult } from '../engine/index.js'
import type { SeriesSecond } from '../model/results.js'

/** What a fleet of workers (fleet.ts) is given and gives back. */

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
