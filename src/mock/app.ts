import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify'
import {
  badRequest,
  type ErrorAnswer,
  INTERNAL_ERROR,
  JSON_TYPE,
  MALFORMED_JSON,
  payloadTooLarge,
  routingError,
  UNSUPPORTED_MEDIA_TYPE,
} from './contract.js'
import { corsHook, PREFLIGHT_LABEL } from './cors.js'
import { INFLECTION_HEADER, underscoreKeys } from './inflection.js'
import { stderrSink } from './log.js'
import { OTHER_LABEL, type RouteLabels } from './metrics.js'
import { type MockOptions, resolveMockOptions } from './options.js'
import { demographicsRoutes } from './routes/demographics.js'
import { opsRoutes, preflightRoute } from './routes/ops.js'
import { patientCheckInsRoutes } from './routes/patient-check-ins.js'
import { preCheckInsRoutes } from './routes/pre-check-ins.js'
import { labelsOf } from './routes/route.js'
import { sessionsRoutes } from './routes/sessions.js'
import { travelClaimsRoutes } from './routes/travel-claims.js'
import { StandIn } from './standin.js'

export type { MockOptions } from './options.js'

/** key and certificate of an HTTPS stand-in (PEM) */
export interface HttpsOptions {
  readonly key: string
  readonly cert: string
}

/**
 * The stand-in vets-api as a fastify app (no listen): the check-in routes of checkin-api.md §3
 * behind the worker pool, plus /metrics and /health outside it. Test it with `app.inject()`;
 * `startMockServer` adds the listening socket, `checkin-load mock` the command line.
 */
export function buildMockApp(opts: MockOptions = {}, https?: HttpsOptions): FastifyInstance {
  const options = resolveMockOptions(opts, stderrSink)
  const mock = new StandIn(options)
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit,
    exposeHeadRoutes: false,
    return503OnClosing: true,
    // Rails routes `/sessions/` as `/sessions`: the web app POSTs with the slash
    routerOptions: { ignoreTrailingSlash: true },
    ...(https !== undefined && { https }),
  }) as unknown as FastifyInstance
  STANDINS.set(app, mock)
  // JSON bodies only: fastify's text/plain parser would let other types through (415 instead)
  app.removeContentTypeParser('text/plain')
  useOliveBranch(app)
  // Rack::Cors sits before everything else, routing included
  const preflightLabels = mock.metrics.route(PREFLIGHT_LABEL, 'OPTIONS')
  app.addHook(
    'onRequest',
    corsHook({
      origins: options.webOrigins,
      observePreflight: (status, seconds) => mock.metrics.observeRequest(preflightLabels, status, seconds),
    }),
  )
  app.setErrorHandler(errorHandler(mock))
  app.setNotFoundHandler(notFoundHandler(mock))
  // the check-in routes (checkin-api.md §3) by API area; each request holds a pool worker
  for (const routes of [
    sessionsRoutes,
    patientCheckInsRoutes,
    preCheckInsRoutes,
    demographicsRoutes,
    travelClaimsRoutes,
    preflightRoute,
  ]) {
    app.register(routes, { mock })
  }
  app.register(opsRoutes, { mock })
  app.addHook('onReady', (done) => {
    mock.start()
    done()
  })
  app.addHook('preClose', (done) => {
    mock.closing = true
    done()
  })
  app.addHook('onClose', (_instance, done) => {
    mock.stop()
    done()
  })
  return app
}

const STANDINS = new WeakMap<FastifyInstance, StandIn>()

/** The stand-in behind an app made by buildMockApp (pool, per-uuid store, downstream): tests, server. */
export function standInOf(app: FastifyInstance): StandIn {
  const mock = STANDINS.get(app)
  if (mock === undefined) throw new Error('not an app made by buildMockApp()')
  return mock
}

/** JSON bodies through OliveBranch: keys underscored when the request has X-Key-Inflection. */
function useOliveBranch(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    parseJson(request, body as string, (error, value) => {
      if (error) return done(error, undefined)
      done(null, request.headers[INFLECTION_HEADER] !== undefined ? underscoreKeys(value) : value)
    })
  })
}

const KNOWN_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'])

function otherLabels(mock: StandIn, method: string): RouteLabels {
  return mock.metrics.route(OTHER_LABEL, KNOWN_METHODS.has(method) ? method : 'OTHER')
}

/** A short, printable form of what the client sent, for a log line. */
function shown(text: string): string {
  const cut = text.length > 200 ? `${text.slice(0, 200)}...` : text
  return JSON.stringify(cut).slice(1, -1)
}

function pathOf(url: string): string {
  const q = url.indexOf('?')
  return q < 0 ? url : url.slice(0, q)
}

function notFoundHandler(mock: StandIn) {
  return (request: FastifyRequest, reply: FastifyReply) => {
    const path = pathOf(request.url)
    const error = routingError(path.length > 200 ? `${path.slice(0, 200)}...` : path)
    mock.log.line(`404 ${shown(request.method)} ${shown(path)}: no such route`)
    answerWithoutWorker(mock, otherLabels(mock, request.method), reply, error)
  }
}

/**
 * Errors before a handler ran (body parsing: 400 malformed JSON, 413 too large, 415 not JSON) and
 * any error of ours that escaped (500). One log line each, never a stack.
 */
function errorHandler(mock: StandIn) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const answer = answerFor(error, mock.options.bodyLimit)
    const labels = labelsOf(request) ?? otherLabels(mock, request.method)
    mock.log.line(
      `${answer.status} ${shown(request.method)} ${shown(pathOf(request.url))}: ${shown(error.message)}`,
    )
    answerWithoutWorker(mock, labels, reply, answer)
  }
}

function answerFor(error: FastifyError, bodyLimit: number): ErrorAnswer {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return UNSUPPORTED_MEDIA_TYPE
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return payloadTooLarge(bodyLimit)
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return MALFORMED_JSON
  }
  if (error instanceof SyntaxError) return MALFORMED_JSON
  const status = error.statusCode
  if (status !== undefined && status >= 400 && status < 500) return badRequest(error.message, status)
  return INTERNAL_ERROR
}

function answerWithoutWorker(
  mock: StandIn,
  labels: RouteLabels,
  reply: FastifyReply,
  answer: ErrorAnswer,
): void {
  reply.code(answer.status).type(JSON_TYPE).send(answer.body)
  // answered before any handler ran: no wait, no downstream call
  mock.metrics.observeRequest(labels, answer.status, 0)
}
