/** The check-in API as a client sees it: test data for the flows' `{{var}}` templates. */
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
