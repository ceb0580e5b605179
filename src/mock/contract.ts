import type { DownstreamCall } from '../model/downstream.js'
import { type FaultStatus, isChipCall } from './downstream.js'

/**
 * The fixed parts of the vets-api check-in contract (checkin-api.md §1-§4): validation rules,
 * key casing, the error envelope and the bodies that never change. Bodies are pre-serialized JSON
 * strings: the stand-in's hot path only concatenates.
 */

/** lowercase hex only, as vets-api's CheckIn::V2::Session */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
export const DOB_RE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$/
export const LAST_NAME_RE = /^.{1,600}$/

export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID_RE.test(value)
export const isDob = (value: unknown): value is string => typeof value === 'string' && DOB_RE.test(value)
export const isLastName = (value: unknown): value is string =>
  typeof value === 'string' && LAST_NAME_RE.test(value)

/** vets-api's max_auth_retry_limit: three wrong logins answer 401, the next one 410 */
export const MAX_AUTH_RETRY_LIMIT = 3

export type JsonObject = Record<string, unknown>

export const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** last four of the SSN: the 2022 login's second credential (CheckIn::V2::Session of then) */
export const LAST4_RE = /^[0-9]{4}$/
export const isLast4 = (value: unknown): value is string => typeof value === 'string' && LAST4_RE.test(value)

export const JSON_TYPE = 'application/json; charset=utf-8'

export interface ErrorAnswer {
  readonly status: number
  /** the serialized `{"errors":[...]}` body */
  readonly body: string
}

/** vets-api's error envelope: `{"errors":[{"title","detail","code","status"}]}`, status as a string. */
export function errorBody(title: string, detail: string, code: string, status: number): string {
  return JSON.stringify({ errors: [{ title, detail, code, status: String(status) }] })
}

const answer = (title: string, detail: string, code: string, status: number): ErrorAnswer => ({
  status,
  body: errorBody(title, detail, code, status),
})

/** BackendServiceException codes of the check-in module (modules/check_in/config/locales). */
export const BACKEND_ERRORS = {
  lorota401: answer('Authentication Error', 'Authentication Error', 'LOROTA-API_401', 401),
  cie404: answer('Data Not Found', 'Data Not Found', 'CIE-VETS-API_404', 404),
  cie410: answer('Data Gone', 'Retry Attempt Exceeded', 'CIE-VETS-API_410', 410),
  chip404: answer('Not Found', 'Not Found', 'CHIP-API_404', 404),
  chip500: answer('Internal Server Error', 'Internal Server Error', 'CHIP-API_500', 500),
  /** an unmapped backend error (e.g. a CHIP 504): vets-api's generic 400 */
  va900: answer('Operation failed', 'Operation failed', 'VA900', 400),
} as const satisfies Record<string, ErrorAnswer>

/**
 * How vets-api answers when a downstream call fails: CHIP 404/500 map to CHIP-API_404/500; anything
 * unmapped (a CHIP 504, any LoROTA fault: `LOROTA-API_404` has no locale entry) to 400 VA900.
 * CIE-VETS-API_404 comes only from a LoROTA token 401 "uuid not found" (the login's own path).
 */
export function downstreamFailure(call: DownstreamCall, status: FaultStatus): ErrorAnswer {
  if (isChipCall(call)) {
    return status === 404
      ? BACKEND_ERRORS.chip404
      : status === 500
        ? BACKEND_ERRORS.chip500
        : BACKEND_ERRORS.va900
  }
  return BACKEND_ERRORS.va900
}

/** Errors of the Rails stack around the controllers (config/locales/exceptions.en.yml and Rack). */
export function routingError(path: string): ErrorAnswer {
  return answer('Not found', `There are no routes matching your request: ${path}`, '411', 404)
}

export function parameterMissing(param: string): ErrorAnswer {
  return answer('Missing parameter', `The required parameter "${param}", is missing`, '108', 400)
}

export const MALFORMED_JSON = answer('Malformed JSON', 'The request body is not valid JSON', '400', 400)
export const UNSUPPORTED_MEDIA_TYPE = answer(
  'Unsupported Media Type',
  'The request body must be sent as application/json',
  '415',
  415,
)
export function payloadTooLarge(limitBytes: number): ErrorAnswer {
  return answer('Payload Too Large', `The request body is larger than ${limitBytes} bytes`, '413', 413)
}
export const SERVICE_UNAVAILABLE = answer(
  'Service unavailable',
  'All workers are busy and the request backlog is full',
  '503',
  503,
)
export const INTERNAL_ERROR = answer('Internal server error', 'Internal server error', '500', 500)
export function badRequest(detail: string, status = 400): ErrorAnswer {
  return answer('Bad Request', detail, String(status), status)
}

/** vets-api's session client error: 200 on GET sessions, 400 on POST sessions. */
export const INVALID_SESSION_BODY = '{"error":true,"message":"Invalid dob or last name!"}'
/** the same in the June 2022 code, whose login took last4 */
export const INVALID_LAST4_SESSION_BODY = '{"error":true,"message":"Invalid last4 or last name!"}'

/** `{"permissions":"read.full"|"read.none","status":"success","uuid":…}`; the uuid is JSON-escaped. */
export function permissionsBody(full: boolean, uuid: unknown): string {
  const id = typeof uuid === 'string' && UUID_RE.test(uuid) ? `"${uuid}"` : JSON.stringify(uuid ?? null)
  return `{"permissions":"${full ? 'read.full' : 'read.none'}","status":"success","uuid":${id}}`
}

export const CHECK_IN_OK_BODY = '{"data":"Checkin successful","status":200}'
export const PRE_CHECK_IN_OK_BODY = '{"data":"Pre-checkin successful","status":200}'
export const DEMOGRAPHICS_INVALID_BODY =
  '{"data":{"error":true,"message":"Invalid parameter request"},"status":400}'
export const HEALTH_BODY = '{"status":"ok"}'
