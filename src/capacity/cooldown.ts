import { setTimeout as sleep } from 'node:timers/promises'
import { request } from 'undici'

/**
 * Between two steps the target gets a rest, so that a step that made a backlog does not hand it
 * to the next one (each step is a fresh measurement). Against the embedded stand-in the rest lasts
 * until its worker pool is idle (no busy worker, no backlog: read from its /metrics), within a
 * bound; against any other target it is a fixed pause (we cannot see its queues).
 */
export interface CoolDownReport {
  /** how long the rest lasted, ms */
  readonly waitedMs: number
  /** the target was seen idle (true for a fixed pause: nothing more is known) */
  readonly idle: boolean
  /** the stand-in's busy workers and backlog when the rest ended (stand-in only) */
  readonly busyWorkers?: number
  readonly backlog?: number
}

export type CoolDown = (signal?: AbortSignal) => Promise<CoolDownReport>

/** A fixed pause. */
export function pauseCoolDown(ms: number): CoolDown {
  return async (signal) => {
    const started = performance.now()
    await sleep(ms, undefined, signal ? { signal } : {}).catch(() => {})
    return { waitedMs: Math.round(performance.now() - started), idle: true }
  }
}

export interface StandInCoolDownOptions {
  /** base URL of the stand-in */
  readonly url: string
  /** give up waiting after this long, ms */
  readonly maxMs: number
  /** rest at least this long, ms (lets the closed connections go) */
  readonly minMs?: number
  /** between two looks at /metrics, ms */
  readonly pollMs?: number
}

/** Reads one gauge's value from a Prometheus exposition text. */
export function gaugeValue(text: string, name: string): number | undefined {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)
  if (!match) return undefined
  const value = Number(match[1])
  return Number.isFinite(value) ? value : undefined
}

/** Until the stand-in's pool is idle (checkin_mock_pool_busy_workers and _backlog at 0), at most maxMs. */
export function standInCoolDown(options: StandInCoolDownOptions): CoolDown {
  const metricsUrl = new URL('/metrics', options.url).toString()
  const pollMs = options.pollMs ?? 100
  return async (signal) => {
    const started = performance.now()
    const elapsed = () => performance.now() - started
    let busy: number | undefined
    let backlog: number | undefined
    const maxPolls = Math.ceil(options.maxMs / pollMs) + 1
    for (let i = 0; i < maxPolls && !signal?.aborted; i++) {
      try {
        const res = await request(metricsUrl, { headersTimeout: 5000, bodyTimeout: 5000 })
        const text = await res.body.text()
        busy = gaugeValue(text, 'checkin_mock_pool_busy_workers')
        backlog = gaugeValue(text, 'checkin_mock_pool_backlog')
      } catch {
        busy = undefined
        backlog = undefined
      }
      const idle = busy === 0 && backlog === 0
      if (idle && elapsed() >= (options.minMs ?? 0)) break
      if (elapsed() >= options.maxMs) break
      await sleep(pollMs, undefined, signal ? { signal } : {}).catch(() => {})
    }
    return {
      waitedMs: Math.round(elapsed()),
      idle: busy === 0 && backlog === 0,
      ...(busy !== undefined && { busyWorkers: busy }),
      ...(backlog !== undefined && { backlog }),
    }
  }
}
