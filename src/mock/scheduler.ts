/**
 * Runs tasks after a delay with one timer per millisecond of due time, not one per task: at
 * thousands of requests a second waiting 1-2 ms each, most of them share their due millisecond.
 * Tasks due in the same millisecond run in the order they were scheduled. Like Node's own timers
 * (whose clock is the loop's, up to a millisecond stale), a task may run up to 1 ms before its
 * exact due time, never later than the event loop allows.
 */
export interface DelayedTask {
  run(): void
}

export interface TimerFunctions {
  now(): number
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

const NODE_TIMERS: TimerFunctions = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
}

export class DelayScheduler {
  private readonly timers: TimerFunctions
  private readonly slots = new Map<number, DelayedTask[]>()
  /** due milliseconds with a slot, as a binary min-heap */
  private readonly heap: number[] = []
  private timer: unknown
  private armedFor = Number.POSITIVE_INFINITY
  private readonly onTimer = () => this.fire()

  constructor(timers: TimerFunctions = NODE_TIMERS) {
    this.timers = timers
  }

  /** tasks waiting */
  get pending(): number {
    let n = 0
    for (const slot of this.slots.values()) n += slot.length
    return n
  }

  schedule(delayMs: number, task: DelayedTask): void {
    const due = Math.ceil(this.timers.now() + delayMs)
    const slot = this.slots.get(due)
    if (slot !== undefined) {
      slot.push(task)
      return
    }
    this.slots.set(due, [task])
    this.heapPush(due)
    if (due < this.armedFor) this.arm(due)
  }

  /** Drops every waiting task (their requests are being cut anyway). */
  clear(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer)
    this.timer = undefined
    this.armedFor = Number.POSITIVE_INFINITY
    this.slots.clear()
    this.heap.length = 0
  }

  private arm(due: number): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer)
    this.armedFor = due
    this.timer = this.timers.setTimeout(this.onTimer, Math.max(0, due - this.timers.now()))
  }

  private fire(): void {
    this.timer = undefined
    this.armedFor = Number.POSITIVE_INFINITY
    // bounded: each round takes out at least one slot, and tasks scheduled meanwhile are due later
    const ready = this.timers.now() + 1
    while (this.heap.length > 0 && this.heap[0]! <= ready) {
      const due = this.heapPop()
      const slot = this.slots.get(due)!
      this.slots.delete(due)
      for (const task of slot) task.run()
    }
    if (this.heap.length > 0) this.arm(this.heap[0]!)
  }

  private heapPush(value: number): void {
    const heap = this.heap
    let i = heap.length
    heap.push(value)
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (heap[parent]! <= value) break
      heap[i] = heap[parent]!
      i = parent
    }
    heap[i] = value
  }

  private heapPop(): number {
    const heap = this.heap
    const top = heap[0]!
    const last = heap.pop()!
    if (heap.length > 0) {
      let i = 0
      for (;;) {
        const left = 2 * i + 1
        if (left >= heap.length) break
        const right = left + 1
        const child = right < heap.length && heap[right]! < heap[left]! ? right : left
        if (heap[child]! >= last) break
        heap[i] = heap[child]!
        i = child
      }
      heap[i] = last
    }
    return top
  }
}
