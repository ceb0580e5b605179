/**
 * How a request can fail (DESIGN.md §3). A request's failure is data, not an exception:
 * the engine classifies every failure into exactly one kind.
 * - connect_refused: nothing listens at the target (ECONNREFUSED)
 * - dns: the target's host name does not resolve
 * - timeout: no complete answer within --timeout (connect, headers or body)
 * - reset: the connection closed or reset before the answer was complete
 * - tls: the TLS handshake failed (bad certificate, wrong protocol)
 * - protocol: the server answered something that is not valid HTTP/1.1
 * - http_4xx / http_5xx: a status the flow did not expect
 * - cors: browser traffic only: a preflight answered non-2xx, or an answer did not allow the
 *   visit's Origin (Access-Control-Allow-Origin / -Credentials): a browser would not send the
 *   request, or would not let the web app read the answer
 * - other: anything not classified above (a bug to report)
 */
export const ERROR_KINDS = [
  'connect_refused',
  'dns',
  'timeout',
  'reset',
  'tls',
  'protocol',
  'http_4xx',
  'http_5xx',
  'cors',
  'other',
] as const

export type ErrorKind = (typeof ERROR_KINDS)[number]
