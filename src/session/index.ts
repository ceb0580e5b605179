/**
 * The session room: one load source and the per-second pipeline it feeds (series file, summary,
 * chart, observers, subscribers). `run`, every capacity step and their warm-ups go through here.
 */
export {
  decodedOf,
  type PipelineOptions,
  type SecondListener,
  SecondPipeline,
  type SessionSecond,
} from './pipeline.js'
export {
  type HeaderFields,
  type LoadSource,
  Session,
  type SessionEngineOptions,
  type SessionLoad,
  type SessionOptions,
  type SessionResult,
} from './session.js'
export { type SessionWarmUpOptions, warmUpSession } from './warm-up.js'
