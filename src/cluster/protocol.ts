import type { SeriesEnd, SeriesHeader, SeriesSecond } from '../model/results.js'

/**
 * The IPC messages between a `run --workers N` parent and its worker processes (each one
 * `checkin-load run --shard i/N`, forked with an IPC channel and WORKER_ENV=1).
 */

/** Set in a worker's environment: its `run` command then reports to the parent over IPC. */
export const WORKER_ENV = 'CHECKIN_LOAD_WORKER'

/** What the worker's engine did, for the parent's totals (a part of EngineResult). */
export interface WorkerTotals {
  readonly arrivals: number
  readonly droppedArrivals: number
  readonly connections: number
  readonly waitedForConnection: number
  readonly abandonedInFlight: number
  readonly stopped: boolean
  readonly aborted: boolean
}

/**
 * Worker -> parent: ready (booted, target reachable, warmed up: waiting for the start time), then
 * its series lines as it writes them, then its totals.
 */
export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'header'; readonly header: SeriesHeader }
  | { readonly type: 'second'; readonly second: SeriesSecond }
  | { readonly type: 'end'; readonly end: SeriesEnd }
  | { readonly type: 'totals'; readonly totals: WorkerTotals; readonly runDir: string }

/**
 * Parent -> worker: the shared start time (epoch ms), sent once every worker is ready; the user
 * scale set live (run --web: from `atMs`, epoch ms, the same for every worker so that the shards'
 * streams stay one stream); end gracefully (as a first Ctrl-C), or at once (as a second).
 */
export type ParentMessage =
  | { readonly type: 'start'; readonly atMs: number }
  | { readonly type: 'scale'; readonly scale: number; readonly atMs: number }
  | { readonly type: 'stop' }
  | { readonly type: 'abort' }

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  const type = (value as { type?: unknown } | null)?.type
  return type === 'ready' || type === 'header' || type === 'second' || type === 'end' || type === 'totals'
}

export function isParentMessage(value: unknown): value is ParentMessage {
  const type = (value as { type?: unknown } | null)?.type
  return (
    type === 'stop' ||
    type === 'abort' ||
    (type === 'start' && typeof (value as { atMs?: unknown }).atMs === 'number') ||
    (type === 'scale' &&
      typeof (value as { scale?: unknown }).scale === 'number' &&
      typeof (value as { atMs?: unknown }).atMs === 'number')
  )
}
