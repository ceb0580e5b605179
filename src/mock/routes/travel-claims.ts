import type { FastifyPluginCallback } from 'fastify'
import { type JsonObject, parameterMissing, permissionsBody } from '../contract.js'
import type { Handler } from '../exchange.js'
import { TRAVEL_CLAIM_LABEL } from '../metrics.js'
import { addRoute, bodyOf, objectUnder, type RoutesOptions } from './route.js'

/** POST /check_in/v0/travel_claims (checkin-api.md §4.9): enqueued, answered 202. */
export const travelClaimsRoutes: FastifyPluginCallback<RoutesOptions> = (app, { mock }, done) => {
  addRoute(app, mock, {
    method: 'POST',
    url: '/check_in/v0/travel_claims',
    endpoint: TRAVEL_CLAIM_LABEL,
    handle: postTravelClaim,
    body: objectUnder('travel_claims'),
  })
  done()
}

/** Enqueues the claim (a background BTSSS call, no worker held: Sidekiq) and answers 202. */
const postTravelClaim: Handler<undefined> = (ex) => {
  const claim = bodyOf<{ travel_claims: JsonObject }>(ex.request)?.travel_claims
  if (claim === undefined) return ex.sendError(parameterMissing('travel_claims'))
  const uuid = claim.uuid
  const mock = ex.mock
  if (!mock.authorized(ex.request, uuid)) return ex.send(401, permissionsBody(false, uuid))
  ex.send(202, '')
  const downstream = mock.downstream
  const failed = downstream.drawFault()
  mock.background(downstream.sampleDelayMs('btsss_travel_claim'), () => {
    downstream.countCall('btsss_travel_claim', failed ? 'error' : 'ok')
  })
}
