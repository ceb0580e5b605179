import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

/**
 * Who may read and steer the live page: whoever holds the run's random token (printed on the
 * terminal in the page's URL). Reading takes it as `?token=` (a browser's EventSource cannot send
 * headers) or as a bearer header; steering only as `Authorization: Bearer <token>`, which a form
 * or a link on another site cannot send.
 */
export function newToken(): string {
  return randomBytes(18).toString('base64url')
}

export function sameToken(given: string | null | undefined, token: string): boolean {
  if (typeof given !== 'string') return false
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

export function bearerToken(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header)
  return match?.[1]
}

/**
 * A request from a page of another origin (another site, or this server under another name):
 * its Origin header is not this server's own, as the browser reached it (the Host header).
 * Requests without an Origin (curl, a same-origin navigation) pass: the token guards them.
 */
export function isCrossOrigin(request: IncomingMessage): boolean {
  const origin = request.headers.origin
  if (origin === undefined) return false
  const host = request.headers.host
  return host === undefined || origin !== `http://${host}`
}
