import type { HttpMethod } from '../model/endpoints.js'

/** A JSON value whose strings may hold `{{var}}` placeholders, filled per visit. */
export type JsonTemplate = string | number | boolean | null | JsonTemplate[] | { [key: string]: JsonTemplate }

/**
 * One request of a flow. Templates may use the per-visit variables: {{uuid}} (random v4),
 * {{lastName}}, {{firstName}}, {{dob}} (YYYY-MM-DD), {{appointmentIen}}, {{today}}.
 */
export interface StepSpec {
  /** endpoint id: labels metrics, thresholds and summaries (e.g. post_session) */
  readonly endpoint: string
  readonly method: HttpMethod
  /** path and query template, e.g. /check_in/v2/sessions/{{uuid}}?checkInType=preCheckIn */
  readonly path: string
  /** JSON body template; sent as application/json */
  readonly body?: JsonTemplate
  /** extra request headers for this step */
  readonly headers?: Readonly<Record<string, string>>
  /** pause after the previous step answered, before this one (ms) */
  readonly thinkTimeMs?: number
  /** statuses that count as success; default: any 2xx */
  readonly expectStatus?: readonly number[]
  /**
   * `request` (default): a request of the profile, a row of its table. `preflight`: the CORS
   * preflight (OPTIONS) a browser sends before a request; measured in its own row, never counted
   * in the profile's rates and totals, sent without the visit's cookies (as browsers do)
   */
  readonly kind?: StepKind
  /**
   * browser traffic: the Origin this request is sent from. The answer must allow it
   * (Access-Control-Allow-Origin equal to it, Access-Control-Allow-Credentials: true) and a
   * preflight must answer 2xx, else the step fails as `cors` and the visit stops there
   */
  readonly corsOrigin?: string
}

export type StepKind = 'request' | 'preflight'

/** A named sequence of steps that one visit runs in order, sharing its cookies and variables. */
export interface FlowSpec {
  readonly name: string
  /** arrivals of this flow per minute at 1x (before --scale and stage shares) */
  readonly arrivalsPerMinute: number
  /** which check-in path the flow takes: decides the stand-in's downstream calls (Little's law) */
  readonly checkInType?: 'dayOf' | 'preCheckIn'
  readonly steps: readonly StepSpec[]
}

export interface Profile {
  readonly name: string
  readonly description: string
  readonly flows: readonly FlowSpec[]
  /** how the flows are sent (src/profile/traffic.ts); absent: as written, one visit per flow */
  readonly traffic?: ProfileTraffic
}

/** `browser`: what the check-in web app sends from a browser; `api`: bare API calls. */
export type TrafficKind = 'browser' | 'api'

export interface ProfileTraffic {
  readonly kind: TrafficKind
  /** browser traffic: the web app's origin (the Origin header) */
  readonly origin?: string
  /**
   * the table sent as per-endpoint scripts do: every request a visit of its own, at its step's
   * rate, with a fresh random UUID and no session
   */
  readonly perEndpoint: boolean
}

/** The built-in check-in profile's business estimates (DESIGN.md §1). */
export interface CheckinEstimates {
  readonly checkInsPerHour: number
  readonly preCheckInsPerHour: number
  /** add the PATCH demographics step to the day-of flow, as the team's 2022 test did */
  readonly withDemographics: boolean
}

/** The per-endpoint load a profile asks for at a given scale. */
export interface EndpointRate {
  readonly endpoint: string
  readonly method: HttpMethod
  /** requests per minute (exact) */
  readonly rpm: number
  /** requests per second (exact) */
  readonly rps: number
}

export interface DerivedProfile {
  readonly profile: string
  readonly scale: number
  readonly flows: readonly { readonly name: string; readonly perMinute: number; readonly perHour: number }[]
  /** in the order the endpoints first appear in the flows */
  readonly endpoints: readonly EndpointRate[]
  readonly totalRpm: number
  readonly totalRps: number
  /** CORS preflights a minute (browser traffic; 0 otherwise): not in endpoints nor totals */
  readonly preflightRpm: number
  /** what the target receives a minute: totalRpm + preflightRpm */
  readonly receivedRpm: number
}
