/**
 * A minimal, strict HTTP/1.1 response parser for the raw transport: status line, the headers the
 * engine needs (Content-Length, Transfer-Encoding: chunked, Connection, Set-Cookie), and the end of
 * the body (counted, never kept): by Content-Length, by chunked framing (extensions and trailers
 * skipped), or by the connection's close. Works across any split of the bytes into chunks.
 *
 * It is a base class: a connection IS its parser (no per-request object), and gets the events by
 * overriding `onStatus`/`onSetCookie`. `execute` stops at the end of a message (`complete`), so the
 * caller decides what bytes after it mean. Anything malformed sets `error` and returns -1.
 */

/** most bytes of a response head (status line + headers), and of chunk extensions / trailers */
export const MAX_HEAD_BYTES = 64 * 1024

const CR = 13
const LF = 10
const SP = 32
const HT = 9
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1')

enum State {
  Head = 0,
  Length = 1,
  ChunkSize = 2,
  ChunkExt = 3,
  ChunkSizeLf = 4,
  ChunkData = 5,
  ChunkDataCr = 6,
  ChunkDataLf = 7,
  TrailerStart = 8,
  TrailerLine = 9,
  TrailerLineLf = 10,
  TrailerEndLf = 11,
  UntilClose = 12,
}

/** RFC 9110 tchar */
const TOKEN = new Uint8Array(256)
for (const c of "!#$%&'*+-.^_`|~") TOKEN[c.charCodeAt(0)] = 1
for (let c = 48; c <= 57; c++) TOKEN[c] = 1
for (let c = 65; c <= 90; c++) TOKEN[c] = 1
for (let c = 97; c <= 122; c++) TOKEN[c] = 1

/** hex digit value + 1 (0: not a hex digit) */
const HEX = new Uint8Array(256)
for (let c = 0; c < 10; c++) HEX[48 + c] = c + 1
for (let c = 0; c < 6; c++) {
  HEX[65 + c] = c + 11
  HEX[97 + c] = c + 11
}

/** `b[at..at+word.length)` equals the lower-case ASCII `word`, ignoring case */
function equalsLower(b: Buffer, at: number, word: string): boolean {
  for (let i = 0; i < word.length; i++) if ((b[at + i]! | 0x20) !== word.charCodeAt(i)) return false
  return true
}

export class ResponseParser {
  /** the status of the message being parsed (0 before its status line) */
  status = 0
  /** the message ended (execute stopped right after it) */
  complete = false
  /** after this message the connection may carry another */
  keepAlive = true
  /** body bytes counted so far (after framing) */
  bodyBytes = 0
  /** why the bytes were refused */
  error = ''
  /** the head of the message is in */
  headDone = false

  private state: State = State.Head
  private noBody = false
  private remaining = 0
  private digits = 0
  private extra = 0
  private pending: Buffer | null = null

  /** the status line of a final (non-1xx) response was read */
  protected onStatus(_status: number): void {}
  /** one Set-Cookie header value */
  protected onSetCookie(_value: string): void {}

  /** an Access-Control-Allow-Origin (credentials false) or -Allow-Credentials (true) header */
  protected onCorsHeader(_credentials: boolean, _value: string): void {}

  /** Gets ready for the response to a new request (`head`: a HEAD request, no body follows). */
  resetParser(head: boolean): void {
    this.status = 0
    this.complete = false
    this.keepAlive = true
    this.bodyBytes = 0
    this.error = ''
    this.headDone = false
    this.state = State.Head
    this.noBody = head
    this.pending = null
  }

  /** The message reads until the connection closes (no length, not chunked): the close ends it. */
  get readsUntilClose(): boolean {
    return this.state === State.UntilClose
  }

  /**
   * Parses `b[start..end)`; returns the offset after the bytes taken (stops right after a complete
   * message), or -1 with `error` set.
   */
  execute(b: Buffer, start: number, end: number): number {
    let p = start
    while (p < end) {
      switch (this.state) {
        case State.Head: {
          p = this.head(b, p, end)
          if (p < 0) return -1
          if (this.complete) return p
          break
        }
        case State.Length: {
          const n = Math.min(end - p, this.remaining)
          p += n
          this.bodyBytes += n
          this.remaining -= n
          if (this.remaining === 0) return this.done(p)
          break
        }
        case State.UntilClose: {
          this.bodyBytes += end - p
          p = end
          break
        }
        case State.ChunkData: {
          const n = Math.min(end - p, this.remaining)
          p += n
          this.bodyBytes += n
          this.remaining -= n
          if (this.remaining === 0) this.state = State.ChunkDataCr
          break
        }
        default: {
          const c = b[p++]!
          if (!this.chunkByte(c)) return -1
          if (this.complete) return p
        }
      }
    }
    return p
  }

  private refuse(reason: string): number {
    this.error = reason
    return -1
  }

  private done(p: number): number {
    this.complete = true
    this.state = State.Head
    return p
  }

  /** one byte of chunked framing (not data) */
  private chunkByte(c: number): boolean {
    switch (this.state) {
      case State.ChunkSize: {
        const h = HEX[c]!
        if (h !== 0) {
          if (++this.digits > 13) return this.failed('chunk size too large')
          this.remaining = this.remaining * 16 + (h - 1)
        } else if (c === CR) {
          if (this.digits === 0) return this.failed('empty chunk size')
          this.state = State.ChunkSizeLf
        } else if (c === 0x3b || c === SP || c === HT) {
          if (this.digits === 0) return this.failed('empty chunk size')
          this.state = State.ChunkExt
        } else {
          return this.failed('invalid chunk size')
        }
        return true
      }
      case State.ChunkExt:
        if (c === CR) this.state = State.ChunkSizeLf
        else if (c === LF) return this.failed('bare LF in chunk extension')
        else if (++this.extra > MAX_HEAD_BYTES) return this.failed('chunk extensions too large')
        return true
      case State.ChunkSizeLf:
        if (c !== LF) return this.failed('chunk size line without LF')
        if (this.remaining === 0) this.state = State.TrailerStart
        else this.state = State.ChunkData
        return true
      case State.ChunkDataCr:
        if (c !== CR) return this.failed('chunk data not followed by CRLF')
        this.state = State.ChunkDataLf
        return true
      case State.ChunkDataLf:
        if (c !== LF) return this.failed('chunk data not followed by CRLF')
        this.state = State.ChunkSize
        this.digits = 0
        this.remaining = 0
        return true
      case State.TrailerStart:
        if (c === CR) this.state = State.TrailerEndLf
        else if (c === LF) return this.failed('bare LF in trailers')
        else this.state = State.TrailerLine
        return this.countExtra()
      case State.TrailerLine:
        if (c === CR) this.state = State.TrailerLineLf
        else if (c === LF) return this.failed('bare LF in trailers')
        return this.countExtra()
      case State.TrailerLineLf:
        if (c !== LF) return this.failed('trailer line without LF')
        this.state = State.TrailerStart
        return true
      case State.TrailerEndLf:
        if (c !== LF) return this.failed('trailers without final LF')
        this.done(0)
        return true
      default:
        return this.failed('parser state')
    }
  }

  private countExtra(): boolean {
    return ++this.extra > MAX_HEAD_BYTES ? this.failed('trailers too large') : true
  }

  private failed(reason: string): false {
    this.error = reason
    return false
  }

  /** Takes head bytes from b[p..end); returns where the body starts (or end), or -1. */
  private head(b: Buffer, p: number, end: number): number {
    const pending = this.pending
    if (pending === null) {
      const at = b.indexOf(CRLFCRLF, p)
      if (at < 0 || at + 4 > end) {
        if (end - p > MAX_HEAD_BYTES) return this.refuse('response head too large')
        this.pending = Buffer.from(b.subarray(p, end)) // a copy: b may be a shared read buffer
        return end
      }
      return this.parseHead(b, p, at) < 0 ? -1 : at + 4
    }
    const before = pending.length
    const joined = Buffer.concat([pending, b.subarray(p, end)])
    const at = joined.indexOf(CRLFCRLF, before > 3 ? before - 3 : 0)
    if (at < 0) {
      if (joined.length > MAX_HEAD_BYTES) return this.refuse('response head too large')
      this.pending = joined
      return end
    }
    this.pending = null
    if (at + 4 > MAX_HEAD_BYTES) return this.refuse('response head too large')
    return this.parseHead(joined, 0, at) < 0 ? -1 : p + (at + 4 - before)
  }

  /**
   * Parses a head in b[s..at) (at: the final CRLFCRLF); sets the body state. 1xx interim answers
   * are skipped (the next head follows). Returns 0, or -1 with `error`.
   */
  private parseHead(b: Buffer, s: number, at: number): number {
    if (at - s > MAX_HEAD_BYTES) return this.refuse('response head too large')
    // "HTTP/1.x SSS" then SP or the end of the line
    if (
      at - s < 12 ||
      b[s] !== 0x48 ||
      b[s + 1] !== 0x54 ||
      b[s + 2] !== 0x54 ||
      b[s + 3] !== 0x50 ||
      b[s + 4] !== 0x2f ||
      b[s + 5] !== 0x31 ||
      b[s + 6] !== 0x2e ||
      (b[s + 7] !== 0x30 && b[s + 7] !== 0x31) ||
      b[s + 8] !== SP
    ) {
      return this.refuse('invalid status line')
    }
    const d0 = b[s + 9]! - 48
    const d1 = b[s + 10]! - 48
    const d2 = b[s + 11]! - 48
    if (d0 < 1 || d0 > 5 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return this.refuse('invalid status code')
    const status = d0 * 100 + d1 * 10 + d2
    const http10 = b[s + 7] === 0x30
    let p = s + 12
    if (p < at && b[p] !== SP && b[p] !== CR) return this.refuse('invalid status line')
    // the reason phrase: up to CRLF, no control bytes but HT
    while (p < at && b[p] !== CR) {
      const c = b[p]!
      if ((c < 0x20 && c !== HT) || c === 0x7f) return this.refuse('invalid reason phrase')
      p++
    }
    if (p < at && b[p + 1] !== LF) return this.refuse('invalid status line')
    p += 2
    const interim = status < 200
    let keepAlive = !http10
    let contentLength = -1
    let chunked = false
    let transferEncoding = false
    const lineEnd = at + 2 // the last header line ends with the CRLF at `at`
    while (p < lineEnd) {
      const nameStart = p
      while (p < at && TOKEN[b[p]!] === 1) p++
      const nameLen = p - nameStart
      if (nameLen === 0 || b[p] !== 0x3a) return this.refuse('invalid header line')
      p++
      while (b[p] === SP || b[p] === HT) p++
      const valueStart = p
      while (b[p] !== CR) {
        const c = b[p]!
        if ((c < 0x20 && c !== HT) || c === 0x7f) return this.refuse('invalid header value')
        p++
      }
      if (b[p + 1] !== LF) return this.refuse('invalid header line')
      let valueEnd = p
      while (valueEnd > valueStart && (b[valueEnd - 1] === SP || b[valueEnd - 1] === HT)) valueEnd--
      p += 2
      if (nameLen === 14 && equalsLower(b, nameStart, 'content-length')) {
        let n = 0
        const len = valueEnd - valueStart
        if (len === 0 || len > 15) return this.refuse('invalid content-length')
        for (let i = valueStart; i < valueEnd; i++) {
          const digit = b[i]! - 48
          if (digit < 0 || digit > 9) return this.refuse('invalid content-length')
          n = n * 10 + digit
        }
        if (contentLength >= 0 && contentLength !== n) return this.refuse('conflicting content-length')
        contentLength = n
      } else if (nameLen === 17 && equalsLower(b, nameStart, 'transfer-encoding')) {
        transferEncoding = true
        // chunked when it is the last coding
        chunked =
          valueEnd - valueStart >= 7 &&
          equalsLower(b, valueEnd - 7, 'chunked') &&
          (valueEnd - valueStart === 7 || b[valueEnd - 8] === 0x2c || b[valueEnd - 8] === SP)
      } else if (nameLen === 10 && equalsLower(b, nameStart, 'connection')) {
        // comma-separated tokens: close, keep-alive
        let t = valueStart
        while (t < valueEnd) {
          while (t < valueEnd && (b[t] === SP || b[t] === HT || b[t] === 0x2c)) t++
          const tokenStart = t
          while (t < valueEnd && b[t] !== 0x2c) t++
          let tokenEnd = t
          while (tokenEnd > tokenStart && (b[tokenEnd - 1] === SP || b[tokenEnd - 1] === HT)) tokenEnd--
          const len = tokenEnd - tokenStart
          if (len === 5 && equalsLower(b, tokenStart, 'close')) keepAlive = false
          else if (len === 10 && http10 && equalsLower(b, tokenStart, 'keep-alive')) keepAlive = true
        }
      } else if (nameLen === 10 && !interim && equalsLower(b, nameStart, 'set-cookie')) {
        this.onSetCookie(b.toString('latin1', valueStart, valueEnd))
      } else if (nameLen === 27 && !interim && equalsLower(b, nameStart, 'access-control-allow-origin')) {
        this.onCorsHeader(false, b.toString('latin1', valueStart, valueEnd))
      } else if (
        nameLen === 32 &&
        !interim &&
        equalsLower(b, nameStart, 'access-control-allow-credentials')
      ) {
        this.onCorsHeader(true, b.toString('latin1', valueStart, valueEnd))
      }
    }
    if (interim) {
      if (status === 101) return this.refuse('unexpected 101 switching protocols')
      return 0 // an interim answer: the final head follows
    }
    if (transferEncoding && contentLength >= 0)
      return this.refuse('both content-length and transfer-encoding')
    this.status = status
    this.keepAlive = keepAlive
    this.headDone = true
    this.onStatus(status)
    if (this.noBody || status === 204 || status === 304) {
      this.done(0)
    } else if (chunked) {
      this.state = State.ChunkSize
      this.remaining = 0
      this.digits = 0
      this.extra = 0
    } else if (transferEncoding || contentLength < 0) {
      this.state = State.UntilClose
      this.keepAlive = false
    } else if (contentLength === 0) {
      this.done(0)
    } else {
      this.state = State.Length
      this.remaining = contentLength
    }
    return 0
  }
}
