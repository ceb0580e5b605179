import type { CheckinEstimates, FlowSpec, Profile, StepSpec } from './types.js'

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

const JSON_HEADERS = { 'content-type': 'application/json' } as const

const getSession = (query: string): StepSpec => ({
  endpoint: 'get_session',
  method: 'GET',
  path: `/check_in/v2/sessions/{{uuid}}${query}`,
  expectStatus: [200],
})

const postSession = (checkInType?: 'preCheckIn'): StepSpec => ({
  endpoint: 'post_session',
  method: 'POST',
  path: '/check_in/v2/sessions',
  headers: JSON_HEADERS,
  body: {
    session: {
      uuid: '{{uuid}}',
      dob: '{{dob}}',
      last_name: '{{lastName}}',
      ...(checkInType ? { check_in_type: checkInType } : {}),
    },
  },
  expectStatus: [200],
})

const DAY_OF_READ: StepSpec = {
  endpoint: 'get_patient_check_in',
  method: 'GET',
  path: '/check_in/v2/patient_check_ins/{{uuid}}',
  expectStatus: [200],
}

const DEMOGRAPHICS: StepSpec = {
  endpoint: 'patch_demographics',
  method: 'PATCH',
  path: '/check_in/v2/demographics/{{uuid}}',
  headers: JSON_HEADERS,
  body: {
    demographics: {
      demographic_confirmations: {
        demographics_up_to_date: true,
        next_of_kin_up_to_date: true,
        emergency_contact_up_to_date: true,
      },
    },
  },
  expectStatus: [200],
}

const DAY_OF_SUBMIT: StepSpec = {
  endpoint: 'post_patient_check_in',
  method: 'POST',
  path: '/check_in/v2/patient_check_ins',
  headers: JSON_HEADERS,
  body: {
    patient_check_ins: {
      uuid: '{{uuid}}',
      appointment_ien: '{{appointmentIen}}',
      set_e_checkin_started_called: true,
      is_travel_enabled: false,
      travel_submitted: false,
    },
  },
  expectStatus: [200],
}

const PRE_CHECK_IN_READ: StepSpec = {
  endpoint: 'get_pre_check_in',
  method: 'GET',
  path: '/check_in/v2/pre_check_ins/{{uuid}}?checkInType=preCheckIn',
  expectStatus: [200],
}

const PRE_CHECK_IN_SUBMIT: StepSpec = {
  endpoint: 'post_pre_check_in',
  method: 'POST',
  path: '/check_in/v2/pre_check_ins',
  headers: JSON_HEADERS,
  body: {
    pre_check_in: {
      uuid: '{{uuid}}',
      demographics_up_to_date: true,
      next_of_kin_up_to_date: true,
      emergency_contact_up_to_date: true,
      check_in_type: 'preCheckIn',
    },
  },
  expectStatus: [200],
}

/**
 * The `vets-api-checkin` profile: the day-of check-in flow and the pre-check-in flow, each
 * authenticating first (GET + POST sessions), then reading and submitting (checkin-api.md §8.4).
 */
export function checkinProfile(estimates: CheckinEstimates = DEFAULT_ESTIMATES): Profile {
  const dayOf: FlowSpec = {
    name: 'check_in',
    arrivalsPerMinute: visitsPerMinute(estimates.checkInsPerHour),
    checkInType: 'dayOf',
    steps: [
      getSession(''),
      postSession(),
      DAY_OF_READ,
      ...(estimates.withDemographics ? [DEMOGRAPHICS] : []),
      DAY_OF_SUBMIT,
    ],
  }
  const preCheckIn: FlowSpec = {
    name: 'pre_check_in',
    arrivalsPerMinute: visitsPerMinute(estimates.preCheckInsPerHour),
    checkInType: 'preCheckIn',
    steps: [
      getSession('?checkInType=preCheckIn'),
      postSession('preCheckIn'),
      PRE_CHECK_IN_READ,
      PRE_CHECK_IN_SUBMIT,
    ],
  }
  return {
    name: BUILTIN_PROFILE_NAME,
    description: 'vets-api check-in: day-of check-in and pre-check-in flows at the rollout estimates',
    flows: [dayOf, preCheckIn].filter((flow) => flow.arrivalsPerMinute > 0),
  }
}
