/** The check-in API as a client sees it: test data for the flows' `{{var}}` templates. */

export {
  browserHeaders,
  corsUnsafeHeaderNames,
  defaultOrigin,
  PREFLIGHT_MAX_AGE_MS,
  parseOrigin,
  preflightStep,
  SOURCE_APP_NAMES,
  STORED_CSRF_TOKEN,
  withPreflights,
} from './browser.js'
export {
  type CheckinVisitData,
  checkinVisitData,
  isoDate,
  type RandomSource,
  randomDob,
  randomUuidV4,
  VISIT_VARIABLES,
  type VisitVariable,
} from './data.js'
export { type CheckInApp, checkinRequest, checkinVisitSteps, type RequestForm } from './requests.js'
