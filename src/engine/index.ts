/** The open-model engine: scheduler, dispatcher, error classification (see engine.ts). */
export {
  type ArrivalKind,
  type ArrivalProcess,
  ArrivalStream,
  ConstantProcess,
  createArrivalProcess,
  inverseShareIntegralMs,
  PoissonProcess,
  type ShardSlice,
  StageCursor,
} from './arrivals.js'
export { classifyError, classifyStatus, ERROR_KIND_INDEX, KIND_BY_CODE } from './classify.js'
export { TRANSPORTS, type Transport, transportFromEnv } from './connections.js'
export { CookieJar } from './cookies.js'
export { Engine, type EngineOptions, type EngineResult } from './engine.js'
export { type CompiledFlow, type CompiledStep, compileFlows, USER_AGENT } from './flows.js'
export { type ClockKind, clockFromEnv, PreciseClock } from './precise-clock.js'
export { createRng, type Rng, randomSeed, Sfc32 } from './rng.js'
export {
  type CompiledTemplate,
  compileBodyTemplate,
  compilePathTemplate,
  compileTemplate,
} from './template.js'
export type { EngineHooks, RequestSink, VisitDataSource } from './types.js'
