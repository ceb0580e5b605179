/**
 * The stand-in's error log: one line per error, no stacks, and at most `maxPerSecond` lines a
 * second (a flood of bad requests must not turn into a flood of writes); the lines held back are
 * counted and reported in one line when the next second starts logging again.
 */
export type LogSink = (line: string) => void

export const stderrSink: LogSink = (line) => {
  process.stderr.write(`${line}\n`)
}

export class ErrorLog {
  private readonly sink: LogSink | undefined
  private readonly maxPerSecond: number
  private readonly now: () => number
  private windowStart = 0
  private inWindow = 0
  private suppressed = 0

  constructor(sink: LogSink | undefined, maxPerSecond = 20, now: () => number = Date.now) {
    this.sink = sink
    this.maxPerSecond = maxPerSecond
    this.now = now
  }

  line(text: string): void {
    if (this.sink === undefined) return
    const t = this.now()
    if (t - this.windowStart >= 1000) {
      this.windowStart = t
      this.inWindow = 0
      if (this.suppressed > 0) {
        this.sink(`checkin-load mock: (${this.suppressed} more errors not logged)`)
        this.suppressed = 0
      }
    }
    if (this.inWindow >= this.maxPerSecond) {
      this.suppressed++
      return
    }
    this.inWindow++
    this.sink(`checkin-load mock: ${text}`)
  }
}
