/** Measurements: the engine's sink, the generator's self-watch, the series writer, redaction. */
export { GeneratorMonitor, TRUST_LIMITS } from './health.js'
export type { RunObserver } from './observer.js'
export { Recorder } from './recorder.js'
export { isSecretHeader, REDACTED, redactConfig, redactHeaders } from './redact.js'
export { SeriesWriter } from './series-writer.js'
