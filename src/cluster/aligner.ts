import type { SeriesSecond } from '../model/results.js'
import { mergeSeconds } from './merge-series.js'

/**
 * Lines up the per-second lines of N workers as they arrive and hands out one merged second at a
 * time, in order: second t goes out as soon as every worker still running has reported it (or a
 * later one), or `graceMs` after the first worker reported it, whichever comes first, so that one
 * slow or stuck worker delays the live view by the grace at most.
 *
 * Nothing is lost: a worker's second that arrives after its t went out (later than the grace) is
 * added to the next second that goes out (its counts and histograms stay in the run's totals, one
 * second late); `lateSeconds` counts them. A worker that ended (or died) is no longer waited for.
 */
export interface AlignerOptions {
  /** how many workers report */
  readonly sources: number
  /** how long to wait for the other workers once one reported a second, ms */
  readonly graceMs: number
  /** called with each merged second, t = 0, 1, 2... in order */
  readonly emit: (second: SeriesSecond) => void
  /** clock, ms (tests) */
  readonly now?: () => number
}

interface Bucket {
  readonly seconds: SeriesSecond[]
  readonly firstAtMs: number
}

export class SecondAligner {
  /** seconds that arrived after their t went out, added to the next one */
  lateSeconds = 0
  private readonly lastT: number[]
  private readonly open: boolean[]
  private readonly buckets = new Map<number, Bucket>()
  private carry: SeriesSecond[] = []
  private nextT = 0
  private readonly now: () => number

  constructor(private readonly options: AlignerOptions) {
    this.lastT = new Array<number>(options.sources).fill(-1)
    this.open = new Array<boolean>(options.sources).fill(true)
    this.now = options.now ?? Date.now
  }

  /** The next second to go out. */
  get pendingT(): number {
    return this.nextT
  }

  /** Worker `source` reported a second. */
  add(source: number, second: SeriesSecond): void {
    if (second.t > this.lastT[source]!) this.lastT[source] = second.t
    if (second.t < this.nextT) {
      this.lateSeconds++
      this.carry.push(second)
    } else {
      let bucket = this.buckets.get(second.t)
      if (bucket === undefined) {
        bucket = { seconds: [], firstAtMs: this.now() }
        this.buckets.set(second.t, bucket)
      }
      bucket.seconds.push(second)
    }
    this.flush(false)
  }

  /** Worker `source` sends no more seconds (it ended, or died). */
  close(source: number): void {
    this.open[source] = false
    this.flush(false)
  }

  /** Lets seconds whose grace ran out go; call it a few times a second. */
  tick(): void {
    this.flush(false)
  }

  /** Everything still held goes out, in order (all workers are gone). */
  finish(): void {
    for (let i = 0; i < this.open.length; i++) this.open[i] = false
    this.flush(true)
  }

  private reportedBy(t: number): boolean {
    for (let i = 0; i < this.open.length; i++) if (this.open[i] && this.lastT[i]! < t) return false
    return true
  }

  private flush(all: boolean): void {
    // bounded: each pass either sends a second out or leaves the loop
    while (this.buckets.size > 0) {
      const bucket = this.buckets.get(this.nextT)
      if (bucket === undefined) {
        // nobody reported nextT (yet): skip it once every open worker is past it (or at the end)
        if (!all && !this.reportedBy(this.nextT)) break
        this.nextT = Math.min(...this.buckets.keys())
        continue
      }
      const ready =
        all || this.reportedBy(this.nextT) || this.now() - bucket.firstAtMs >= this.options.graceMs
      if (!ready) break
      this.buckets.delete(this.nextT)
      this.send(this.nextT, bucket.seconds)
    }
    if (all && this.carry.length > 0) this.send(this.nextT, [])
  }

  private send(t: number, seconds: SeriesSecond[]): void {
    const parts = this.carry.length > 0 ? [...seconds, ...this.carry] : seconds
    this.carry = []
    this.nextT = t + 1
    this.options.emit(mergeSeconds(t, parts))
  }
}
