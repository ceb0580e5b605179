import { ConfigError } from '../../errors.js'
import type { CompiledStep } from '../flows.js'

/**
 * A step's request bytes for the raw transport, prebuilt once: `METHOD ` before the path, and after
 * it ` HTTP/1.1`, Host and every static header. Per request only the path, the dynamic headers,
 * the Cookie, the Content-Length and the body are filled in, by string concatenation, and the
 * whole request goes out in one `socket.write`.
 */
export interface RawRequest {
  /** `METHOD ` */
  readonly start: string
  /** ` HTTP/1.1\r\nhost: ...\r\n` + static headers, each ending in CRLF */
  readonly middle: string
  /** a HEAD request: no body in the answer */
  readonly head: boolean
  /** send `content-length: 0` when there is no body (POST, PUT, PATCH) */
  readonly emptyLength: boolean
  /** the static parts are ASCII (then an ASCII request may be written as latin1) */
  readonly ascii: boolean
}

/** true when every char of `text` is ASCII (its UTF-8 bytes are its chars) */
export function isAscii(text: string): boolean {
  return Buffer.byteLength(text) === text.length
}

const UNSAFE = /[\r\n\0]/

export function buildRawRequest(step: CompiledStep, host: string): RawRequest {
  const method = step.method.toUpperCase()
  if (!/^[A-Z]+$/.test(method)) throw new ConfigError(`invalid HTTP method "${step.method}"`)
  for (const part of step.path.parts) {
    if (/[\s\0]/.test(part))
      throw new ConfigError(`path of ${step.endpointId}: no spaces or control characters`)
  }
  let middle = ' HTTP/1.1\r\n'
  const headers = step.headers
  let hasHost = false
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === 'host') hasHost = true
  if (!hasHost) middle += `host: ${host}\r\n`
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!
    const value = headers[i + 1]!
    if (UNSAFE.test(name) || UNSAFE.test(value))
      throw new ConfigError(`header ${name} of ${step.endpointId}: no CR, LF or NUL`)
    if (name === 'content-length' || name === 'transfer-encoding' || name === 'connection') continue
    middle += `${name}: ${value}\r\n`
  }
  return {
    start: `${method} `,
    middle,
    head: method === 'HEAD',
    emptyLength: method === 'POST' || method === 'PUT' || method === 'PATCH',
    ascii: isAscii(method + middle + step.path.parts.join('')),
  }
}

/** A header value filled per request must not smuggle a line end. */
export function safeHeaderValue(value: string): string {
  return value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0 ? value.replace(/[\r\n]/g, ' ') : value
}

/**
 * The request's bytes as one string (UTF-8 on the wire; latin1 gives the same bytes, cheaper, when
 * it is all ASCII). `path` and `body` are rendered, `bodyBytes` is the body's UTF-8 length,
 * `extraHeaders` is '' or ready lines ending in CRLF.
 */
export function renderRawRequest(
  raw: RawRequest,
  path: string,
  extraHeaders: string,
  cookie: string,
  body: string | null,
  bodyBytes: number,
): string {
  let out = raw.start + path + raw.middle + extraHeaders
  // cookie values come from Set-Cookie headers the parser checked: no CR or LF
  if (cookie !== '') out += `cookie: ${cookie}\r\n`
  if (body !== null) {
    out += `content-length: ${bodyBytes}\r\n\r\n${body}`
  } else {
    out += raw.emptyLength ? 'content-length: 0\r\n\r\n' : '\r\n'
  }
  return out
}
