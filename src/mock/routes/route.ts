import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { HttpMethod } from '../../model/endpoints.js'
import { admit, type Handler, type RouteDef } from '../exchange.js'
import type { RouteLabels } from '../metrics.js'
import type { StandIn } from '../standin.js'

/** What every route plugin of the stand-in is registered with. */
export interface RoutesOptions {
  readonly mock: StandIn
}

/** A route's fastify config: its metric labels, for answers given before its handler ran. */
export type RouteConfig = { labels: RouteLabels }

export function labelsOf(request: FastifyRequest): RouteLabels | undefined {
  return (request.routeOptions.config as Partial<RouteConfig> | undefined)?.labels
}

export interface RouteSpec<S> {
  readonly method: HttpMethod
  readonly url: string
  /** endpoint id, the metric label */
  readonly endpoint: string
  readonly handle: Handler<S>
  /**
   * JSON schema of the body, compiled once when the app starts. A body that fails it is not
   * refused by fastify: the handler asks `bodyOf()` and answers as vets-api would, at the point
   * where vets-api's controller reads its params (after the auth check for PATCH demographics).
   */
  readonly body?: object
}

/** Adds a check-in route whose every request holds a pool worker (exchange.ts). */
export function addRoute<S>(app: FastifyInstance, mock: StandIn, spec: RouteSpec<S>): void {
  const route: RouteDef<S> = { labels: mock.metrics.route(spec.endpoint, spec.method), handle: spec.handle }
  app.route({
    method: spec.method,
    url: spec.url,
    config: { labels: route.labels } satisfies RouteConfig,
    ...(spec.body !== undefined && { schema: { body: spec.body }, attachValidation: true }),
    // answers later (after the pool and the downstream delays): returns nothing
    handler: (request, reply) => {
      admit(mock, route, request, reply)
    },
  })
}

/** The request's body when it passed the route's schema, else undefined. */
export function bodyOf<T>(request: FastifyRequest): T | undefined {
  return request.validationError === undefined ? (request.body as T) : undefined
}

/** A body that is an object with an object under `key`: what `params.require(key)` asks. */
export function objectUnder(key: string): object {
  return { type: 'object', required: [key], properties: { [key]: { type: 'object' } } }
}
