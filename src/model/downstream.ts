import type { CheckinEndpointId } from './endpoints.js'

/**
 * The downstream services vets-api calls for the check-in endpoints (checkin-api.md §5), and the
 * presets that give each call a delay (§6). This is data shared by the stand-in (which waits
 * these delays while holding a worker) and by `checkin-load profile` (which predicts, by Little's
 * law, how many workers the profile keeps busy).
 */
export const DOWNSTREAM_CALLS = [
  'lorota_token',
  'lorota_data',
  'chip_token',
  'chip_check_in',
  'chip_refresh_appointments',
  'chip_pre_check_in',
  'chip_confirm_demographics',
  'chip_set_precheckin_started',
  'chip_refresh_precheckin',
  'chip_delete_from_lorota',
  'chip_set_e_check_in_started',
  'chip_initiate_check_in',
  'btsss_travel_claim',
] as const

export type DownstreamCall = (typeof DOWNSTREAM_CALLS)[number]

/** A delay distribution, in milliseconds. Lognormal is given by its mean and its 99th percentile. */
export type DelayDistribution =
  | { kind: 'constant'; ms: number }
  | { kind: 'lognormal'; meanMs: number; p99Ms: number }

export const PRESET_NAMES = ['fast', 'staging-2022', 'current'] as const
export type PresetName = (typeof PRESET_NAMES)[number]

/**
 * Which vets-api code the stand-in follows (checkin-api.md §9): `2022-06` is the code of the team's
 * June 2022 test (GET patient_check_ins reads LoROTA only: set-e-check-in-started came in 2023; the
 * login took `last4`); `current` is today's.
 */
export const ERAS = ['2022-06', 'current'] as const
export type Era = (typeof ERAS)[number]

export interface MockPreset {
  readonly name: PresetName
  readonly description: string
  /** Size of the worker pool: each request holds one worker for its whole handling (a Puma thread). */
  readonly workers: number
  /** the vets-api code whose downstream calls the stand-in makes */
  readonly era: Era
  /** Delay of each downstream call, before --time-scale. */
  readonly delays: Readonly<Record<DownstreamCall, DelayDistribution>>
}

const constant = (ms: number): DelayDistribution => ({ kind: 'constant', ms })

const FAST_LOROTA = constant(1)
const FAST_CHIP = constant(2)

// The committed betamocks response delays (vets-api config/betamocks/services_config.yml).
const BETAMOCKS_DELAYS: Readonly<Record<DownstreamCall, DelayDistribution>> = {
  lorota_token: constant(200),
  lorota_data: constant(200),
  chip_token: constant(200),
  chip_check_in: constant(5000),
  chip_refresh_appointments: constant(2000),
  chip_pre_check_in: constant(2000),
  chip_confirm_demographics: constant(1000),
  chip_set_precheckin_started: constant(2000),
  chip_refresh_precheckin: constant(4000),
  chip_delete_from_lorota: constant(4000),
  chip_set_e_check_in_started: constant(2000),
  chip_initiate_check_in: constant(10_000),
  btsss_travel_claim: constant(300),
}

export const PRESETS: Readonly<Record<PresetName, MockPreset>> = {
  fast: {
    name: 'fast',
    description:
      'downstream answers in 1-2 ms and the pool is large: a target the generator cannot easily saturate',
    workers: 100_000,
    era: 'current',
    delays: {
      lorota_token: FAST_LOROTA,
      lorota_data: FAST_LOROTA,
      chip_token: FAST_CHIP,
      chip_check_in: FAST_CHIP,
      chip_refresh_appointments: FAST_CHIP,
      chip_pre_check_in: FAST_CHIP,
      chip_confirm_demographics: FAST_CHIP,
      chip_set_precheckin_started: FAST_CHIP,
      chip_refresh_precheckin: FAST_CHIP,
      chip_delete_from_lorota: FAST_CHIP,
      chip_set_e_check_in_started: FAST_CHIP,
      chip_initiate_check_in: FAST_CHIP,
      btsss_travel_claim: FAST_CHIP,
    },
  },
  // The committed betamocks response delays (vets-api config/betamocks/services_config.yml) and
  // staging's 6 instances x 40 Puma threads, as in the team's June 2022 test (checkin-api.md §6-7).
  'staging-2022': {
    name: 'staging-2022',
    description:
      'twin of the June 2022 staging test: its code (no set-e-check-in-started, last4 login), betamocks delays (0.2 s LoROTA, 1-5 s CHIP), 6 x 40 = 240 workers',
    workers: 240,
    era: '2022-06',
    delays: BETAMOCKS_DELAYS,
  },
  current: {
    name: 'current',
    description:
      "today's vets-api calls (set-e-check-in-started on the day-of read) with the betamocks delays and 6 x 40 = 240 workers",
    workers: 240,
    era: 'current',
    delays: BETAMOCKS_DELAYS,
  },
}

export function meanDelayMs(delay: DelayDistribution): number {
  return delay.kind === 'constant' ? delay.ms : delay.meanMs
}

/** What decides which downstream calls a request makes (checkin-api.md §4-5). */
export interface ChainContext {
  /** checkInType=preCheckIn on GET/POST sessions */
  readonly preCheckIn: boolean
  /** facilityType=oh (Oracle Health) skips the CHIP refresh and started calls */
  readonly oracleHealth: boolean
  /** appointment identifiers cached by an earlier day-of GET patient_check_ins */
  readonly identifiersCached: boolean
  /** set-e-check-in-started already called for this visit */
  readonly eCheckInStarted: boolean
  /** whose code (default current) */
  readonly era?: Era
}

/**
 * The downstream calls an endpoint makes, in order, on its success path (checkin-api.md §5 table).
 * The CHIP token is left out: it is cached for 14 minutes and shared by all users, so the stand-in
 * adds it only when its cache is cold.
 */
export function downstreamChain(endpoint: CheckinEndpointId, ctx: ChainContext): DownstreamCall[] {
  switch (endpoint) {
    case 'get_session':
      return ctx.preCheckIn ? ['chip_refresh_precheckin'] : []
    case 'post_session':
      return ctx.preCheckIn ? ['lorota_token', 'chip_set_precheckin_started'] : ['lorota_token']
    case 'get_patient_check_in': {
      const calls: DownstreamCall[] = []
      if (ctx.identifiersCached && !ctx.oracleHealth) calls.push('chip_refresh_appointments')
      calls.push('lorota_data')
      // set-e-check-in-started arrived in 2023 (the 45-minute reminder)
      if (ctx.era !== '2022-06' && !ctx.eCheckInStarted && !ctx.oracleHealth)
        calls.push('chip_set_e_check_in_started')
      return calls
    }
    case 'post_patient_check_in':
      return ['chip_check_in']
    case 'get_pre_check_in':
      return ctx.identifiersCached && !ctx.oracleHealth
        ? ['chip_refresh_appointments', 'lorota_data']
        : ['lorota_data']
    case 'post_pre_check_in':
      return ['chip_pre_check_in']
    case 'patch_demographics':
      return ['chip_confirm_demographics']
  }
}

/** Mean time a request of this endpoint holds a worker, from the preset's mean delays and era. */
export function meanServiceMs(preset: MockPreset, endpoint: CheckinEndpointId, ctx: ChainContext): number {
  let total = 0
  for (const call of downstreamChain(endpoint, { ...ctx, era: preset.era }))
    total += meanDelayMs(preset.delays[call])
  return total
}
