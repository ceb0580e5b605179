/**
 * The worker pool: a bounded number of workers (Puma threads), each held by one request for its
 * whole handling, downstream waits included. A request that finds no free worker waits in a FIFO
 * backlog; with a backlog cap, a request that finds the backlog full is refused (the caller
 * answers 503).
 *
 * Plain class, no timers, an injected clock: `acquire` either grants at once or queues the waiter;
 * `release` hands the worker to the oldest waiter. Hand-offs run in a loop, never recursively, so a
 * long backlog of instant requests cannot grow the stack.
 */
export interface PoolWaiter {
  /** called once the waiter holds a worker; it must call `release()` exactly once afterwards */
  granted(waitedMs: number): void
}

export type AcquireResult = 'granted' | 'queued' | 'refused'

export class WorkerPool {
  readonly size: number
  /** most waiters the backlog holds; Infinity = unbounded */
  readonly backlogCap: number
  private readonly now: () => number
  private busyCount = 0
  // FIFO ring of waiters and their enqueue times; grows by doubling
  private ring: (PoolWaiter | undefined)[] = new Array(64)
  private ringTimes = new Float64Array(64)
  private head = 0
  private count = 0
  private draining = false
  // sum over time of busy workers (worker-ms), for mean busy workers over an interval
  private busyMsIntegral = 0
  private lastChangeMs: number
  private maxBacklogSeen = 0
  private grantedTotal = 0
  private queuedTotal = 0
  private refusedTotal = 0

  constructor(
    size: number,
    backlogCap = Number.POSITIVE_INFINITY,
    now: () => number = performance.now.bind(performance),
  ) {
    if (!(Number.isInteger(size) && size >= 1))
      throw new RangeError(`pool size must be a whole number >= 1, got ${size}`)
    if (!(backlogCap >= 0)) throw new RangeError(`backlog cap must be >= 0, got ${backlogCap}`)
    this.size = size
    this.backlogCap = backlogCap
    this.now = now
    this.lastChangeMs = now()
  }

  /** workers held right now */
  get busy(): number {
    return this.busyCount
  }

  /** requests waiting for a worker right now */
  get backlog(): number {
    return this.count
  }

  /** the largest backlog seen since the pool was made (or since `resetMaxBacklog`) */
  get maxBacklog(): number {
    return this.maxBacklogSeen
  }

  resetMaxBacklog(): void {
    this.maxBacklogSeen = this.count
  }

  /** counts since the pool was made: granted at once or after a wait, queued, refused */
  get totals(): { granted: number; queued: number; refused: number } {
    return { granted: this.grantedTotal, queued: this.queuedTotal, refused: this.refusedTotal }
  }

  /** worker-milliseconds held so far: its rise over an interval / the interval = mean busy workers */
  busyWorkerMs(): number {
    const t = this.now()
    return this.busyMsIntegral + this.busyCount * (t - this.lastChangeMs)
  }

  /**
   * Takes a free worker for the waiter ('granted': its `granted(0)` has been called), or queues it
   * ('queued': called later, from a `release`), or refuses it when the backlog is at its cap.
   */
  acquire(waiter: PoolWaiter): AcquireResult {
    if (this.busyCount < this.size && this.count === 0) {
      this.changeBusy(1)
      this.grantedTotal++
      waiter.granted(0)
      return 'granted'
    }
    if (this.count >= this.backlogCap) {
      this.refusedTotal++
      return 'refused'
    }
    this.push(waiter)
    this.queuedTotal++
    return 'queued'
  }

  /** Gives back one worker; the oldest waiter, if any, gets it. */
  release(): void {
    if (this.busyCount <= 0) throw new Error('WorkerPool.release() without a held worker')
    this.changeBusy(-1)
    if (this.draining) return
    this.draining = true
    try {
      while (this.count > 0 && this.busyCount < this.size) {
        const enqueuedAt = this.ringTimes[this.head]!
        const waiter = this.shift()
        this.changeBusy(1)
        this.grantedTotal++
        waiter.granted(this.now() - enqueuedAt)
      }
    } finally {
      this.draining = false
    }
  }

  private changeBusy(delta: number): void {
    const t = this.now()
    this.busyMsIntegral += this.busyCount * (t - this.lastChangeMs)
    this.lastChangeMs = t
    this.busyCount += delta
  }

  private push(waiter: PoolWaiter): void {
    if (this.count === this.ring.length) this.grow()
    const at = (this.head + this.count) & (this.ring.length - 1)
    this.ring[at] = waiter
    this.ringTimes[at] = this.now()
    this.count++
    if (this.count > this.maxBacklogSeen) this.maxBacklogSeen = this.count
  }

  private shift(): PoolWaiter {
    const waiter = this.ring[this.head]!
    this.ring[this.head] = undefined
    this.head = (this.head + 1) & (this.ring.length - 1)
    this.count--
    return waiter
  }

  private grow(): void {
    const length = this.ring.length
    const ring: (PoolWaiter | undefined)[] = new Array(length * 2)
    const times = new Float64Array(length * 2)
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i) & (length - 1)
      ring[i] = this.ring[from]
      times[i] = this.ringTimes[from]!
    }
    this.ring = ring
    this.ringTimes = times
    this.head = 0
  }
}
