/**
 * The check-in endpoints that checkin-load knows by name. These ids label metrics, thresholds,
 * summaries and flags (DESIGN.md §1, "Endpoint ids"). Profiles loaded from files may name other
 * endpoints: the engine treats an endpoint id as an opaque string.
 */
export const CHECKIN_ENDPOINT_IDS = [
  'get_session',
  'post_session',
  'get_patient_check_in',
  'post_patient_check_in',
  'get_pre_check_in',
  'post_pre_check_in',
  'patch_demographics',
] as const

export type CheckinEndpointId = (typeof CHECKIN_ENDPOINT_IDS)[number]

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS'

/** Method and route of each named endpoint, as mounted by vets-api (checkin-api.md §3). */
export const CHECKIN_ROUTES: Readonly<Record<CheckinEndpointId, { method: HttpMethod; route: string }>> = {
  get_session: { method: 'GET', route: '/check_in/v2/sessions/:id' },
  post_session: { method: 'POST', route: '/check_in/v2/sessions' },
  get_patient_check_in: { method: 'GET', route: '/check_in/v2/patient_check_ins/:id' },
  post_patient_check_in: { method: 'POST', route: '/check_in/v2/patient_check_ins' },
  get_pre_check_in: { method: 'GET', route: '/check_in/v2/pre_check_ins/:id' },
  post_pre_check_in: { method: 'POST', route: '/check_in/v2/pre_check_ins' },
  patch_demographics: { method: 'PATCH', route: '/check_in/v2/demographics/:id' },
}

export function isCheckinEndpointId(id: string): id is CheckinEndpointId {
  return (CHECKIN_ENDPOINT_IDS as readonly string[]).includes(id)
}

/**
 * The row of the CORS preflights (OPTIONS) that browser traffic sends before its requests
 * (checkin-api.md §9). One row for all of them: vets-api answers every preflight in Rack::Cors,
 * before routing, so their cost does not depend on the URL. Not a row of the profile's table:
 * its rates and totals leave it out.
 */
export const PREFLIGHT_ENDPOINT_ID = 'preflight'

export function isPreflightEndpoint(id: string): boolean {
  return id === PREFLIGHT_ENDPOINT_ID
}
