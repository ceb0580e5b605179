import type { FastifyPluginCallback } from 'fastify'
import { HEALTH_BODY, JSON_TYPE } from '../contract.js'
import type { Handler } from '../exchange.js'
import { OTHER_LABEL } from '../metrics.js'
import { addRoute, type RoutesOptions } from './route.js'

/** /metrics and /health: no pool worker, not counted. */
export const opsRoutes: FastifyPluginCallback<RoutesOptions> = (app, { mock }, done) => {
  app.get('/health', (_request, reply) => {
    reply.type(JSON_TYPE).send(HEALTH_BODY)
  })
  app.get('/metrics', async (_request, reply) => {
    const { contentType, text } = await mock.metrics.exposition()
    reply.type(contentType)
    return text
  })
  done()
}

/**
 * OPTIONS /check_in/* that reaches the app (application#cors_preflight: `head :ok`); like any
 * controller action it holds a worker.
 */
export const preflightRoute: FastifyPluginCallback<RoutesOptions> = (app, { mock }, done) => {
  addRoute(app, mock, { method: 'OPTIONS', url: '/check_in/*', endpoint: OTHER_LABEL, handle: corsPreflight })
  done()
}

const corsPreflight: Handler<undefined> = (ex) => ex.send(200, '')
