import { type ChainContext, type MockPreset, meanServiceMs } from '../model/downstream.js'
import { isCheckinEndpointId } from '../model/endpoints.js'
import type { Profile } from './types.js'

export interface WorkerPrediction {
  readonly preset: string
  readonly workers: number
  /** mean workers busy at 1x of the profile (Little's law: L = sum of rate x service time) */
  readonly busyAt1x: number
  /** busy workers per endpoint at 1x */
  readonly busyByEndpoint: Readonly<Record<string, number>>
  /** share of the profile at which the pool is fully busy: workers / busyAt1x */
  readonly saturationShare: number
}

/**
 * Little's law over the profile's steps: each request holds a worker for its downstream chain's
 * mean delay, so the pool saturates at workers / (sum of rate x mean service time). A visit's
 * steps run once each in order, so a day-of GET patient_check_ins is a first load (identifiers not
 * yet cached, set-e-check-in-started still to call).
 */
export function predictWorkers(profile: Profile, preset: MockPreset, workers: number): WorkerPrediction {
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
      const busy = (perSecond * meanServiceMs(preset, step.endpoint, ctx)) / 1000
      busyByEndpoint[step.endpoint] = (busyByEndpoint[step.endpoint] ?? 0) + busy
      busyAt1x += busy
    }
  }
  return {
    preset: preset.name,
    workers,
    busyAt1x,
    busyByEndpoint,
    saturationShare: busyAt1x > 0 ? workers / busyAt1x : Number.POSITIVE_INFINITY,
  }
}
