/** The open-model engine: the clock loop, visits, connection pool and transports (see engine.ts). */
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
export { CLOCKS, type ClockKind, parseClock } from './clock.js'
export { CookieJar } from './cookies.js'
export { Engine, type EngineOptions, type EngineResult } from './engine.js'
export { type CompiledFlow, type CompiledStep, compileFlows, USER_AGENT } from './flows.js'
export { PreciseClock } from './precise-clock.js'
export { createRng, type Rng, randomSeed, Sfc32 } from './rng.js'
export {
  type CompiledTemplate,
  compileBodyTemplate,
  compilePathTemplate,
  compileTemplate,
} from './template.js'
export { parseTransport, TRANSPORTS, type Transport } from './transports/index.js'
export type { EngineHooks, RequestSink, VisitDataSource } from './types.js'
