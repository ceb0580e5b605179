export { BUILTIN_PROFILE_NAME, checkinProfile, DEFAULT_ESTIMATES, visitsPerMinute } from './builtin.js'
export { deriveRates, endpointIds } from './derive.js'
export { predictWorkers, type WorkerPrediction } from './littles-law.js'
export { describeZodError, loadProfileFile, readDataFile, resolveProfile, runProfile } from './load.js'
export { shareAt, shareIntegralMs, stagesDurationMs } from './stages.js'
export {
  applyTraffic,
  connectsPerVisit,
  perEndpointFlows,
  type TrafficOptions,
  trafficOf,
} from './traffic.js'
export type * from './types.js'
