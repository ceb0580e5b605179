/**
 * Work taken out of the clock loop's tick: each piece runs in a loop turn of its own, in order,
 * so that the timers due in between (the next arrivals) run between two pieces instead of after
 * all of them.
 *
 * Why: the per-second pipeline (series line, summary, exporters, live view) costs 2–5 ms a second
 * at 5000 req/s. Run inside the tick that folds the second, it held back every arrival due
 * meanwhile, and the server saw one gap and one burst a second (coefficient of variation of its
 * count per 10 ms 0.2; measured with bench/engine-max.ts). Cut into pieces of a millisecond or
 * less, it delays an arrival by at most one piece.
 */
export class DeferredWork {
  private readonly queue: (() => void)[] = []
  private head = 0
  private immediate: NodeJS.Immediate | undefined

  /** @param onError a piece that throws: the rest still run */
  constructor(private readonly onError: (error: unknown) => void) {}

  get pending(): number {
    return this.queue.length - this.head
  }

  /** Queues pieces of work, to run one per loop turn after those already queued. */
  defer(...pieces: (() => void)[]): void {
    this.queue.push(...pieces)
    this.immediate ??= setImmediate(this.runOne)
  }

  /** Runs every queued piece now (before what they read is reused, or before the run's end). */
  flush(): void {
    if (this.immediate !== undefined) clearImmediate(this.immediate)
    this.immediate = undefined
    while (this.head < this.queue.length) this.runNext()
  }

  private readonly runOne = (): void => {
    this.immediate = undefined
    this.runNext()
    // queued from inside a check phase, the next piece runs in the next loop turn, after its timers
    if (this.head < this.queue.length) this.immediate = setImmediate(this.runOne)
  }

  private runNext(): void {
    const piece = this.queue[this.head]!
    this.queue[this.head++] = noop
    if (this.head === this.queue.length) {
      this.queue.length = 0
      this.head = 0
    }
    try {
      piece()
    } catch (error) {
      this.onError(error)
    }
  }
}

const noop = () => {}
