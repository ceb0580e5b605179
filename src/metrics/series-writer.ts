import { closeSync, openSync, writeSync } from 'node:fs'
import type { SeriesEnd, SeriesHeader, SeriesLine, SeriesSecond } from '../model/results.js'
import type { RunObserver } from './observer.js'

/**
 * Writes series.ndjson as the run goes: the header line first, one line per second, the end line
 * last. Each line is one writeSync on the file's descriptor: it is in the OS's hands before the
 * next second starts, so a process killed with SIGKILL loses at most the second in progress.
 */
export class SeriesWriter implements RunObserver {
  private fd: number | undefined

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w')
  }

  onHeader(header: SeriesHeader): void {
    this.write(header)
  }

  onSecond(second: SeriesSecond): void {
    this.write(second)
  }

  onEnd(end: SeriesEnd): void {
    this.write(end)
  }

  close(): void {
    if (this.fd === undefined) return
    closeSync(this.fd)
    this.fd = undefined
  }

  private write(line: SeriesLine): void {
    if (this.fd === undefined) throw new Error(`series file ${this.path} is closed`)
    writeSync(this.fd, `${JSON.stringify(line)}\n`)
  }
}
