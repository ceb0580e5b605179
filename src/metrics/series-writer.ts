import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs'
import type { SeriesControl, SeriesEnd, SeriesHeader, SeriesLine, SeriesSecond } from '../model/results.js'
import type { RunObserver } from './observer.js'

/**
 * Writes series.ndjson as the run goes: the header line first, one line per second, the end line
 * last. Each line is written at once (writeSync on the file's descriptor): it is in the OS's hands
 * before the next second starts, so a process killed with SIGKILL loses at most the second in
 * progress.
 *
 * Whole lines or nothing: a write that fails part-way (the disk filled up: the OS took part of
 * the line, then ENOSPC) is cut back to the end of the last whole line before the error is
 * thrown, so the file never holds a torn line that a later line would follow.
 */
export class SeriesWriter implements RunObserver {
  private fd: number | undefined
  /** bytes of whole lines written so far: where the next line goes */
  private length = 0
  /** a failed write could not be cut back: no line may follow it */
  private broken: Error | undefined

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w')
  }

  onHeader(header: SeriesHeader): void {
    this.write(header)
  }

  onSecond(second: SeriesSecond): void {
    this.write(second)
  }

  /** A change the user made to the load (run --web), between the seconds it fell in. */
  onControl(change: SeriesControl): void {
    this.write(change)
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
    const fd = this.fd
    if (fd === undefined) throw new Error(`series file ${this.path} is closed`)
    if (this.broken) throw this.broken
    const bytes = Buffer.from(`${JSON.stringify(line)}\n`)
    let done = 0
    try {
      // writeSync may take fewer bytes than given (a full disk): write the rest, at explicit positions
      for (let tries = 0; done < bytes.length && tries < 1000; tries++) {
        const n = writeSync(fd, bytes, done, bytes.length - done, this.length + done)
        if (n <= 0) break
        done += n
      }
      if (done < bytes.length) {
        throw Object.assign(new Error(`only ${done} of ${bytes.length} bytes could be written`), {
          code: 'ENOSPC',
        })
      }
    } catch (error) {
      if (done > 0) {
        try {
          ftruncateSync(fd, this.length)
        } catch {
          // the torn line stays, as the last one (readers skip a torn last line)
          this.broken = error as Error
        }
      }
      throw error
    }
    this.length += bytes.length
  }
}
