import { checkinVisitSteps, type RequestForm } from '../checkin/requests.js'
import type { CheckinEstimates, FlowSpec, Profile } from './types.js'

export const BUILTIN_PROFILE_NAME = 'vets-api-checkin'

/** The team's estimates for the rollout (checkin-api.md §7, DESIGN.md §1). */
export const DEFAULT_ESTIMATES: CheckinEstimates = {
  checkInsPerHour: 35_280,
  preCheckInsPerHour: 145_000,
  withDemographics: false,
}

/**
 * Visits a minute from visits an hour. The team's profile is in whole visits a minute
 * (145,000/h -> 2417/min, DESIGN.md §1), and so is ours: that makes `--scale 2` exactly double the
 * table. Below one visit a minute the exact rate is kept, so that small estimates don't vanish.
 */
export function visitsPerMinute(perHour: number): number {
  const exact = perHour / 60
  return exact >= 1 ? Math.round(exact) : exact
}

/**
 * The `vets-api-checkin` profile: the day-of check-in flow and the pre-check-in flow, each
 * authenticating first (GET + POST sessions), then reading and submitting (checkin-api.md §8.4).
 * `form` shapes the requests (src/checkin/requests.ts): `api` (bare calls, the default here) or
 * `browser` (the web app's bodies and paths; applyTraffic then adds the browser's headers and
 * preflights).
 */
export function checkinProfile(
  estimates: CheckinEstimates = DEFAULT_ESTIMATES,
  form: RequestForm = 'api',
): Profile {
  const dayOf: FlowSpec = {
    name: 'check_in',
    arrivalsPerMinute: visitsPerMinute(estimates.checkInsPerHour),
    checkInType: 'dayOf',
    steps: checkinVisitSteps('dayOf', form, { withDemographics: estimates.withDemographics }),
  }
  const preCheckIn: FlowSpec = {
    name: 'pre_check_in',
    arrivalsPerMinute: visitsPerMinute(estimates.preCheckInsPerHour),
    checkInType: 'preCheckIn',
    steps: checkinVisitSteps('preCheckIn', form),
  }
  return {
    name: BUILTIN_PROFILE_NAME,
    description: 'vets-api check-in: day-of check-in and pre-check-in flows at the rollout estimates',
    flows: [dayOf, preCheckIn].filter((flow) => flow.arrivalsPerMinute > 0),
  }
}
