/**
 * Measurements: the engine's sink, the generator's self-watch, the series writer, redaction, and
 * the live exporters (Prometheus, DogStatsD) as observers of the per-second series.
 */

export { DeferredWork } from './deferred.js'
export {
  closeExporters,
  type ExporterConfig,
  exportersObserver,
  type LiveExporter,
  startExporters,
} from './exporters.js'
export { GeneratorMonitor, TRUST_LIMITS } from './health.js'
export type { RunObserver } from './observer.js'
export {
  type FoldedSecond,
  Recorder,
  type SecondHistograms,
  WARM_UP_FOLDS,
  warmUpFolds,
} from './recorder.js'
export { isSecretHeader, REDACTED, redactConfig, redactHeaders } from './redact.js'
export { SeriesWriter } from './series-writer.js'
