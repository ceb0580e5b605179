import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify'

/**
 * Rack::Cors as vets-api configures it (config/application.rb): first in the middleware, so it
 * answers every preflight itself, before routing and before the app (no Puma thread), for any path.
 * `origins` is Settings.web_origin (exact strings), `credentials: true`, `methods: :any`,
 * `headers: :any`, `expose` the rate-limit and session-expiration headers, and no `max_age`: the
 * gem's default, 7200 s.
 *
 * - Preflight (OPTIONS with Access-Control-Request-Method): 200, empty; from an allowed origin with
 *   Allow-Origin (the origin), Allow-Credentials, Allow-Methods, Allow-Headers (the requested
 *   ones), Max-Age and Vary: Origin; from any other origin with no CORS header (the browser then
 *   refuses to send the request).
 * - Any other request from an allowed origin: its answer carries the same headers plus
 *   Expose-Headers; from another origin, none.
 * An OPTIONS without Origin or without Access-Control-Request-Method is not a preflight: it reaches
 * the app (application#cors_preflight).
 */
export const DEFAULT_WEB_ORIGINS: readonly string[] = [
  'https://va.gov',
  'https://www.va.gov',
  'https://staging.va.gov',
  'https://dev.va.gov',
  'http://localhost:3001',
]

/** rack-cors' default max_age (vets-api sets none); browsers cache a preflight this long (Chrome: 2 h) */
export const CORS_MAX_AGE_S = 7200
/** `methods: :any` */
export const CORS_ALLOW_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS'
export const CORS_EXPOSE_HEADERS =
  'X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, X-Session-Expiration'

/** Endpoint label of the preflights answered by the CORS middleware in /metrics. */
export const PREFLIGHT_LABEL = 'preflight'

export interface CorsOptions {
  readonly origins: readonly string[]
  /** where a preflight answered by the middleware is counted */
  readonly observePreflight: (status: number, seconds: number) => void
}

/** The onRequest hook that plays Rack::Cors. */
export function corsHook(options: CorsOptions): onRequestHookHandler {
  const allowed = new Set(options.origins)
  return (request, reply, done) => {
    const origin = request.headers.origin
    if (origin === undefined) return done()
    const isAllowed = allowed.has(origin)
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      const started = performance.now()
      answerPreflight(request, reply, isAllowed ? origin : undefined)
      options.observePreflight(200, (performance.now() - started) / 1000)
      return // answered: the request goes no further
    }
    if (isAllowed) {
      reply.headers({
        'access-control-allow-origin': origin,
        'access-control-allow-methods': CORS_ALLOW_METHODS,
        'access-control-expose-headers': CORS_EXPOSE_HEADERS,
        'access-control-max-age': String(CORS_MAX_AGE_S),
        'access-control-allow-credentials': 'true',
        vary: 'Origin',
      })
    }
    done()
  }
}

function answerPreflight(request: FastifyRequest, reply: FastifyReply, origin: string | undefined): void {
  reply.code(200)
  if (origin !== undefined) {
    const requested = request.headers['access-control-request-headers']
    reply.headers({
      'access-control-allow-origin': origin,
      'access-control-allow-methods': CORS_ALLOW_METHODS,
      ...(requested !== undefined && { 'access-control-allow-headers': requested }),
      'access-control-max-age': String(CORS_MAX_AGE_S),
      'access-control-allow-credentials': 'true',
      vary: 'Origin',
    })
  }
  reply.send()
}
