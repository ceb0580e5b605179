import type { Client, Dispatcher } from 'undici'

/**
 * What the client micro-benchmarks (handler-shapes.ts, raw-writes.ts) share: closed loops of one
 * request at a time per connection, counted in one tally, and requests per CPU-second measured over
 * a fixed time (robust on a shared machine).
 */
export interface Tally {
  done: number
  stop: boolean
}

/** undici's legacy handler shape (onConnect/onHeaders/onData/onComplete/onError), one request after another. */
export class LegacyLoop implements Dispatcher.DispatchHandler {
  constructor(
    readonly client: Client,
    private readonly tally: Tally,
    private readonly opts: Dispatcher.DispatchOptions,
  ) {}
  go(): void {
    this.client.dispatch(this.opts, this)
  }
  onConnect(): void {}
  onHeaders(): boolean {
    return true
  }
  onData(): boolean {
    return true
  }
  onComplete(): void {
    this.tally.done++
    if (!this.tally.stop) queueMicrotask(() => this.go())
  }
  onError(): void {}
}

/** Starts the loops, lets them run `seconds`, stops them, closes them: requests per CPU-second. */
export async function requestsPerCpuSecond(
  loops: readonly { go(): void }[],
  tally: Tally,
  seconds: number,
  close: () => Promise<unknown>,
): Promise<number> {
  const cpu0 = process.cpuUsage()
  for (const loop of loops) loop.go()
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
  tally.stop = true
  const cpu = process.cpuUsage(cpu0)
  await new Promise((resolve) => setTimeout(resolve, 100))
  await close()
  return tally.done / ((cpu.user + cpu.system) / 1e6)
}

export const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
