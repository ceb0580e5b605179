import { type DownstreamCall, downstreamChain, type Era } from '../model/downstream.js'
import type { CheckinEndpointId } from '../model/endpoints.js'

/**
 * downstreamChain() of each endpoint and context, computed once: the chains are fixed by a few
 * booleans, so the hot path looks them up instead of building arrays.
 */
const CHAINS = new Map<CheckinEndpointId, (readonly DownstreamCall[] | undefined)[]>()

export function chainOf(
  endpoint: CheckinEndpointId,
  preCheckIn = false,
  oracleHealth = false,
  identifiersCached = false,
  eCheckInStarted = false,
  era: Era = 'current',
): readonly DownstreamCall[] {
  let row = CHAINS.get(endpoint)
  if (row === undefined) {
    row = new Array(32)
    CHAINS.set(endpoint, row)
  }
  const key =
    (preCheckIn ? 1 : 0) |
    (oracleHealth ? 2 : 0) |
    (identifiersCached ? 4 : 0) |
    (eCheckInStarted ? 8 : 0) |
    (era === '2022-06' ? 16 : 0)
  let chain = row[key]
  if (chain === undefined) {
    chain = Object.freeze(
      downstreamChain(endpoint, { preCheckIn, oracleHealth, identifiersCached, eCheckInStarted, era }),
    )
    row[key] = chain
  }
  return chain
}
