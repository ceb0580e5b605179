import type { FastifyPluginCallback } from 'fastify'
import { chainOf } from '../chains.js'
import {
  DEMOGRAPHICS_INVALID_BODY,
  isObject,
  type JsonObject,
  parameterMissing,
  permissionsBody,
} from '../contract.js'
import type { Handler } from '../exchange.js'
import { addRoute, bodyOf, objectUnder, type RoutesOptions } from './route.js'

/** PATCH and PUT /check_in/v2/demographics/:id (checkin-api.md §4.7): CHIP confirm-demographics. */
export const demographicsRoutes: FastifyPluginCallback<RoutesOptions> = (app, { mock }, done) => {
  for (const method of ['PATCH', 'PUT'] as const) {
    addRoute(app, mock, {
      method,
      url: '/check_in/v2/demographics/:id',
      endpoint: 'patch_demographics',
      handle: patchDemographics,
      body: objectUnder('demographics'),
    })
  }
  done()
}

/** PATCH demographics: whose confirmation CHIP answered. */
interface Confirmation {
  uuid: string
}

const patchDemographics: Handler<Confirmation> = (ex) => {
  const uuid = ex.params.id
  const mock = ex.mock
  if (!mock.authorized(ex.request, uuid)) return ex.send(401, permissionsBody(false, uuid))
  const demographics = bodyOf<{ demographics: JsonObject }>(ex.request)?.demographics
  if (demographics === undefined) return ex.sendError(parameterMissing('demographics'))
  const confirmations = demographics.demographic_confirmations
  if (!isObject(confirmations) || Object.keys(confirmations).length === 0) {
    return ex.send(400, DEMOGRAPHICS_INVALID_BODY)
  }
  ex.state = { uuid: uuid as string }
  ex.afterChain(mock.downstream.plan(chainOf('patch_demographics')), demographicsDone)
}

const demographicsDone: Handler<Confirmation> = (ex) =>
  ex.send(200, ex.mock.bodies.demographicsConfirmed(ex.state.uuid))
