import { ERROR_KINDS, type ErrorKind } from '../model/error-kinds.js'

/**
 * A request's failure is data: one ErrorKind from one pure lookup on the error's `code` (never
 * `instanceof`: errors that cross a worker lose their class). Codes are Node's (libuv, TLS,
 * llhttp) and undici's (UND_ERR_*).
 */
export const KIND_BY_CODE: Readonly<Record<string, ErrorKind>> = {
  ECONNREFUSED: 'connect_refused',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  EAI_NONAME: 'dns',
  ETIMEDOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  ECONNRESET: 'reset',
  ECONNABORTED: 'reset',
  EPIPE: 'reset',
  EHOSTUNREACH: 'connect_refused',
  ENETUNREACH: 'connect_refused',
  EADDRNOTAVAIL: 'connect_refused',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_CLOSED: 'reset',
  UND_ERR_DESTROYED: 'reset',
  UND_ERR_ABORTED: 'reset',
  UND_ERR_REQ_CONTENT_LENGTH_MISMATCH: 'protocol',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'protocol',
  UND_ERR_RES_EXCEEDED_MAX_SIZE: 'protocol',
  UND_ERR_INFO: 'protocol',
  UND_ERR_NOT_SUPPORTED: 'protocol',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'tls',
  SELF_SIGNED_CERT_IN_CHAIN: 'tls',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'tls',
  UNABLE_TO_GET_ISSUER_CERT: 'tls',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'tls',
  CERT_HAS_EXPIRED: 'tls',
  CERT_NOT_YET_VALID: 'tls',
  CERT_UNTRUSTED: 'tls',
  CERT_REJECTED: 'tls',
  CERT_SIGNATURE_FAILURE: 'tls',
  ERR_TLS_CERT_ALTNAME_INVALID: 'tls',
  ERR_TLS_HANDSHAKE_TIMEOUT: 'tls',
  EPROTO: 'tls',
}

/** For errors that come without a code (undici's HTTPParserError sometimes has none). */
export const KIND_BY_NAME: Readonly<Record<string, ErrorKind>> = {
  HTTPParserError: 'protocol',
  HeadersTimeoutError: 'timeout',
  BodyTimeoutError: 'timeout',
  ConnectTimeoutError: 'timeout',
  SocketError: 'reset',
}

const PREFIX_KINDS: readonly (readonly [string, ErrorKind])[] = [
  ['ERR_TLS_', 'tls'],
  ['ERR_SSL_', 'tls'],
  ['CERT_', 'tls'],
  ['HPE_', 'protocol'],
]

/** The kind of a transport failure, from its code (or its cause's code), else its name. */
export function classifyError(error: unknown): ErrorKind {
  let current: unknown = error
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string') {
      const kind = KIND_BY_CODE[code]
      if (kind) return kind
      for (const [prefix, prefixKind] of PREFIX_KINDS) if (code.startsWith(prefix)) return prefixKind
    }
    const name = (current as { name?: unknown }).name
    if (typeof name === 'string' && Object.hasOwn(KIND_BY_NAME, name)) return KIND_BY_NAME[name]!
    current = (current as { cause?: unknown }).cause
  }
  return 'other'
}

/** The kind of an unexpected status: its class, or `other` for the 1xx/3xx a flow did not expect. */
export function classifyStatus(status: number): ErrorKind {
  if (status >= 500) return 'http_5xx'
  if (status >= 400) return 'http_4xx'
  return 'other'
}

/** ErrorKind -> its index in ERROR_KINDS, for fixed arrays on the hot path. */
export const ERROR_KIND_INDEX: Readonly<Record<ErrorKind, number>> = Object.fromEntries(
  ERROR_KINDS.map((kind, index) => [kind, index]),
) as Record<ErrorKind, number>
