/**
 * The capacity search (`checkin-load capacity`): ramp the profile's share up until the SLOs break,
 * bisect to the knee, report how much the target holds. Other rooms import from here only.
 */

// Measuring and driving
export { type CoolDown, type CoolDownReport, gaugeValue, pauseCoolDown, standInCoolDown } from './cooldown.js'
export {
  type CapacityHandle,
  type CapacitySearchOptions,
  type CapacitySearchResult,
  type StepRecord,
  searchCapacity,
  startCapacitySearch,
} from './driver.js'
// Results
export { capacityChartData, renderCapacityReport } from './html.js'
// Judging a step: SLOs and the generator's trustworthiness
export {
  assessGenerator,
  GENERATOR_LIMITS,
  type GeneratorAssessment,
  type GeneratorSecond,
  judgeStep,
  type SendLagMs,
  type SloFailure,
  type StepJudgment,
} from './judge.js'
export {
  buildVerdict,
  CAPACITY_FILE,
  CAPACITY_REPORT_FILE,
  CAPACITY_SCHEMA_VERSION,
  type CapacityFile,
  type CapacityStep,
  type CapacityVerdict,
  describeFailure,
  type LoadAtShare,
  loadAtShare,
  stepRecord,
} from './result.js'
// The pure search: the next share from the steps so far
export {
  bracket,
  closeEnough,
  type Decision,
  maxSteps,
  nextDecision,
  type Phase,
  roundShare,
  type SearchSettings,
  type StepOutcome,
  type StepResult,
  settingsProblem,
  type Verdict,
} from './search.js'
export { capacitySlos, type SloRecord, sloRecords, timeScaledSlos } from './slo.js'
export { type EndpointNumbers, runStep, type StepMeasurement, type StepOptions } from './step.js'
