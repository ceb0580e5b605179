import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MAX_HEAD_BYTES, ResponseParser } from './parser.js'

/** A parser that records what it saw; feeds whole inputs split at given places. */
class Recording extends ResponseParser {
  statuses: number[] = []
  cookies: string[] = []
  protected override onStatus(status: number): void {
    this.statuses.push(status)
  }
  protected override onSetCookie(value: string): void {
    this.cookies.push(value)
  }
}

interface Outcome {
  status: number
  cookies: string[]
  bodyBytes: number
  keepAlive: boolean
  /** bytes left after the message */
  rest: number
  /** the message ended before the input did ('' when complete, else the parser's error or 'incomplete') */
  error: string
  untilClose: boolean
}

/** Parses `input` fed in the given pieces (offsets where to cut). */
function parse(input: Buffer, cuts: readonly number[] = [], head = false): Outcome {
  const parser = new Recording()
  parser.resetParser(head)
  const bounds = [0, ...cuts.filter((c) => c > 0 && c < input.length), input.length]
  for (let i = 0; i + 1 < bounds.length; i++) {
    // each piece in its own buffer, with stale bytes after it (as the shared read buffer has)
    const piece = Buffer.concat([input.subarray(bounds[i]!, bounds[i + 1]!), Buffer.from('\r\n\r\nXX')])
    const n = bounds[i + 1]! - bounds[i]!
    const end = parser.execute(piece, 0, n)
    if (end < 0) return outcome(parser, 0, parser.error)
    if (parser.complete) {
      const rest = n - end + (input.length - bounds[i + 1]!)
      return outcome(parser, rest, '')
    }
  }
  return outcome(parser, 0, 'incomplete')
}

function outcome(parser: Recording, rest: number, error: string): Outcome {
  return {
    status: parser.status,
    cookies: parser.cookies,
    bodyBytes: parser.bodyBytes,
    keepAlive: parser.keepAlive,
    rest,
    error,
    untilClose: parser.readsUntilClose,
  }
}

const crlf = (text: string) => Buffer.from(text.replace(/\n/g, '\r\n'), 'latin1')

interface Case {
  name: string
  input: Buffer
  head?: boolean
  expect: Partial<Outcome>
}

const CASES: readonly Case[] = [
  {
    name: 'content-length',
    input: crlf('HTTP/1.1 200 OK\nContent-Type: application/json\nContent-Length: 11\n\n{"ok":true}'),
    expect: { status: 200, bodyBytes: 11, keepAlive: true, rest: 0, error: '' },
  },
  {
    name: 'content-length 0, no reason phrase',
    input: crlf('HTTP/1.1 201\ncontent-length: 0\n\n'),
    expect: { status: 201, bodyBytes: 0, error: '' },
  },
  {
    name: 'chunked with extensions and trailers',
    input: crlf(
      'HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n5;name=value\nhello\nA ; x\n0123456789\n0\nX-Trailer: 1\nY: 2\n\n',
    ),
    expect: { status: 200, bodyBytes: 15, keepAlive: true, rest: 0, error: '' },
  },
  {
    name: 'chunked, upper-case hex, no trailers',
    input: crlf(`HTTP/1.1 200 OK\ntransfer-encoding: gzip, chunked\n\n1F\n${'x'.repeat(31)}\n0\n\n`),
    expect: { status: 200, bodyBytes: 31, error: '' },
  },
  {
    name: '204 has no body',
    input: crlf('HTTP/1.1 204 No Content\nContent-Length: 10\n\n'),
    expect: { status: 204, bodyBytes: 0, error: '', rest: 0 },
  },
  {
    name: '304 has no body',
    input: crlf('HTTP/1.1 304 Not Modified\nTransfer-Encoding: chunked\n\n'),
    expect: { status: 304, bodyBytes: 0, error: '' },
  },
  {
    name: 'the answer to HEAD has no body',
    input: crlf('HTTP/1.1 200 OK\nContent-Length: 1000\n\n'),
    head: true,
    expect: { status: 200, bodyBytes: 0, error: '' },
  },
  {
    name: 'several Set-Cookie headers, any case',
    input: crlf(
      'HTTP/1.1 200 OK\nSet-Cookie: a=1; Path=/\nset-cookie:   b=2 \nSET-COOKIE: c=3; HttpOnly\nContent-Length: 0\n\n',
    ),
    expect: { status: 200, cookies: ['a=1; Path=/', 'b=2', 'c=3; HttpOnly'], error: '' },
  },
  {
    name: 'connection: close',
    input: crlf('HTTP/1.1 200 OK\nConnection: close\nContent-Length: 2\n\nok'),
    expect: { status: 200, keepAlive: false, bodyBytes: 2, error: '' },
  },
  {
    name: 'HTTP/1.0 closes unless keep-alive',
    input: crlf('HTTP/1.0 200 OK\nContent-Length: 2\n\nok'),
    expect: { keepAlive: false, error: '' },
  },
  {
    name: 'HTTP/1.0 with keep-alive',
    input: crlf('HTTP/1.0 200 OK\nConnection: Keep-Alive\nContent-Length: 2\n\nok'),
    expect: { keepAlive: true, error: '' },
  },
  {
    name: 'a 100 Continue before the answer is skipped',
    input: crlf('HTTP/1.1 100 Continue\n\nHTTP/1.1 200 OK\nContent-Length: 2\n\nok'),
    expect: { status: 200, bodyBytes: 2, error: '' },
  },
  {
    name: 'no length: the body reads until the close',
    input: crlf('HTTP/1.1 200 OK\nContent-Type: text/plain\n\nsome bytes'),
    expect: { status: 200, bodyBytes: 10, untilClose: true, keepAlive: false, error: 'incomplete' },
  },
  {
    name: 'bytes after the answer are left',
    input: crlf('HTTP/1.1 200 OK\nContent-Length: 2\n\nokEXTRA'),
    expect: { status: 200, rest: 5, error: '' },
  },
  {
    name: 'malformed status line',
    input: crlf('HTTP/1.1 2OO NOT-A-STATUS\nbad header line\n\n'),
    expect: { error: 'invalid status code' },
  },
  { name: 'not HTTP', input: crlf('SSH-2.0-OpenSSH\n\n'), expect: { error: 'invalid status line' } },
  { name: 'HTTP/2 status line', input: crlf('HTTP/2 200\n\n'), expect: { error: 'invalid status line' } },
  {
    name: 'header line without colon',
    input: crlf('HTTP/1.1 200 OK\nbad header line\n\n'),
    expect: { error: 'invalid header line' },
  },
  {
    name: 'space before the colon',
    input: crlf('HTTP/1.1 200 OK\nContent-Length : 1\n\nx'),
    expect: { error: 'invalid header line' },
  },
  {
    name: 'obs-fold',
    input: crlf('HTTP/1.1 200 OK\nA: 1\n  folded\n\n'),
    expect: { error: 'invalid header line' },
  },
  {
    name: 'bare LF in a header',
    input: Buffer.from('HTTP/1.1 200 OK\r\nA: 1\nB: 2\r\n\r\n'),
    expect: { error: 'invalid header value' },
  },
  {
    name: 'bad content-length',
    input: crlf('HTTP/1.1 200 OK\nContent-Length: 1x\n\n'),
    expect: { error: 'invalid content-length' },
  },
  {
    name: 'conflicting content-lengths',
    input: crlf('HTTP/1.1 200 OK\nContent-Length: 1\nContent-Length: 2\n\n'),
    expect: { error: 'conflicting content-length' },
  },
  {
    name: 'content-length and transfer-encoding',
    input: crlf('HTTP/1.1 200 OK\nContent-Length: 1\nTransfer-Encoding: chunked\n\n'),
    expect: { error: 'both content-length and transfer-encoding' },
  },
  {
    name: 'bad chunk size',
    input: crlf('HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\nzz\n'),
    expect: { error: 'invalid chunk size' },
  },
  {
    name: 'chunk data longer than its size',
    input: crlf('HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n2\nabc\n0\n\n'),
    expect: { error: 'chunk data not followed by CRLF' },
  },
  {
    name: 'a head larger than 64 KiB',
    input: crlf(`HTTP/1.1 200 OK\nX-Big: ${'a'.repeat(MAX_HEAD_BYTES)}\nContent-Length: 0\n\n`),
    expect: { error: 'response head too large' },
  },
  {
    name: '101 switching protocols',
    input: crlf('HTTP/1.1 101 Switching Protocols\n\n'),
    expect: { error: 'unexpected 101 switching protocols' },
  },
]

for (const { name, input, head, expect } of CASES) {
  test(`parser: ${name}`, () => {
    const whole = parse(input, [], head)
    assert.deepEqual(pick(whole, expect), expect)
  })
  // every split in two, and byte by byte (the big head in 1 KiB pieces)
  test(`parser: ${name}, split at every byte boundary and byte by byte`, () => {
    const step = input.length > 4096 ? 1024 : 1
    for (let cut = 1; cut < input.length; cut += step) {
      assert.deepEqual(pick(parse(input, [cut], head), expect), expect, `cut at ${cut}`)
    }
    const cuts: number[] = []
    for (let at = step; at < input.length; at += step) cuts.push(at)
    assert.deepEqual(pick(parse(input, cuts, head), expect), expect, 'byte by byte')
  })
}

function pick(out: Outcome, expect: Partial<Outcome>): Partial<Outcome> {
  const picked: Partial<Outcome> = {}
  for (const key of Object.keys(expect) as (keyof Outcome)[])
    (picked as Record<string, unknown>)[key] = out[key]
  return picked
}

test('parser: a 50 MB body streams through in pieces, nothing kept', () => {
  const parser = new Recording()
  parser.resetParser(false)
  const size = 50 * 1024 * 1024
  const head = crlf(`HTTP/1.1 200 OK\nContent-Length: ${size}\n\n`)
  assert.equal(parser.execute(head, 0, head.length), head.length)
  const piece = Buffer.alloc(64 * 1024, 0x61)
  let left = size
  for (let i = 0; i < 10_000 && left > 0; i++) {
    const n = Math.min(left, piece.length)
    assert.equal(parser.execute(piece, 0, n), n)
    left -= n
  }
  assert.equal(parser.complete, true)
  assert.equal(parser.bodyBytes, size)
})

test('parser: a message, then the next one after resetParser', () => {
  const parser = new Recording()
  const message = crlf('HTTP/1.1 200 OK\nSet-Cookie: s=1\nContent-Length: 2\n\nok')
  for (let i = 0; i < 3; i++) {
    parser.resetParser(false)
    assert.equal(parser.execute(message, 0, message.length), message.length)
    assert.equal(parser.complete, true)
  }
  assert.deepEqual(parser.statuses, [200, 200, 200])
  assert.deepEqual(parser.cookies, ['s=1', 's=1', 's=1'])
})
