import { type ChainContext, type MockPreset, meanServiceMs } from '../model/downstream.js'
import { type CheckinEndpointId, isCheckinEndpointId } from '../model/endpoints.js'
import type { Profile } from './types.js'

export interface WorkerPrediction {
  readonly preset: string
  readonly workers: number
  /** the traffic predicted: whole visits (a session each), or the table sent per endpoint */
  readonly perEndpoint: boolean
  /** mean workers busy at 1x of the profile (Little's law: L = sum of rate x service time) */
  readonly busyAt1x: number
  /** busy workers per endpoint at 1x */
  readonly busyByEndpoint: Readonly<Record<string, number>>
  /** share of the profile at which the pool is fully busy: workers / busyAt1x */
  readonly saturationShare: number
}

export interface PredictOptions {
  /**
   * The profile's table sent endpoint by endpoint, as per-endpoint scripts do: each request a fresh
   * random UUID, no session. Only the sessions endpoints then reach downstream (GET sessions'
   * pre-check-in refresh runs before the auth check; a login with a new uuid succeeds); every other
   * request is unauthorized and answers at once, with no downstream call (checkin-api.md §9).
   */
  readonly perEndpoint?: boolean
}

/** Endpoints that call downstream without a session; the others answer an unauthorized caller at once. */
const WITHOUT_SESSION: ReadonlySet<CheckinEndpointId> = new Set(['get_session', 'post_session'])

/**
 * Little's law over the profile's steps: each request holds a worker for its downstream chain's
 * mean delay (the preset's delays and era), so the pool saturates at workers / (sum of rate x mean
 * service time). A visit's steps run once each in order, so a day-of GET patient_check_ins is a
 * first load (identifiers not yet cached, set-e-check-in-started still to call where the era has
 * it). The CHIP token (one call per 14 minutes for everyone) is left out.
 *
 * staging-2022, 240 workers: 391.3 busy at 1x with visits (knee 0.61x), 251.7 per endpoint (0.95x).
 */
export function predictWorkers(
  profile: Profile,
  preset: MockPreset,
  workers: number,
  options: PredictOptions = {},
): WorkerPrediction {
  // default: how the profile is sent (run --per-endpoint turns its flows into one-request visits)
  const perEndpoint = options.perEndpoint ?? profile.traffic?.perEndpoint === true
  const busyByEndpoint: Record<string, number> = {}
  let busyAt1x = 0
  for (const flow of profile.flows) {
    const perSecond = flow.arrivalsPerMinute / 60
    const ctx: ChainContext = {
      preCheckIn: flow.checkInType === 'preCheckIn',
      oracleHealth: false,
      identifiersCached: false,
      eCheckInStarted: false,
    }
    for (const step of flow.steps) {
      if (!isCheckinEndpointId(step.endpoint)) continue
      const reachesDownstream = !perEndpoint || WITHOUT_SESSION.has(step.endpoint)
      const busy = reachesDownstream ? (perSecond * meanServiceMs(preset, step.endpoint, ctx)) / 1000 : 0
      busyByEndpoint[step.endpoint] = (busyByEndpoint[step.endpoint] ?? 0) + busy
      busyAt1x += busy
    }
  }
  return {
    preset: preset.name,
    workers,
    perEndpoint,
    busyAt1x,
    busyByEndpoint,
    saturationShare: busyAt1x > 0 ? workers / busyAt1x : Number.POSITIVE_INFINITY,
  }
}
