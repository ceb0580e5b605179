import type { ClockKind, Transport, VisitDataSource } from '../engine/index.js'
import { warmUp } from '../engine/warmup.js'
import { Recorder, warmUpFolds } from '../metrics/index.js'
import { SCHEMA_VERSION } from '../model/results.js'
import type { FlowSpec } from '../profile/types.js'
import { decodedOf, type SecondListener, SecondPipeline } from './pipeline.js'

export interface SessionWarmUpOptions {
  readonly flows: readonly FlowSpec[]
  readonly endpoints: readonly string[]
  readonly data?: VisitDataSource
  /** the session's HTTP client and clock, so that their code is the code compiled */
  readonly transport?: Transport
  readonly clock?: ClockKind
  /** the session's own per-second check (a threshold's abort, a step's judging), to compile it too */
  readonly onSecond?: SecondListener
}

/**
 * Warms a session up before time zero: the engine's hot path (src/engine/warmup.ts) against a
 * throwaway local server, then the per-second pipeline on what it recorded: the folds of
 * warmUpFolds (src/metrics/recorder.ts) through a throwaway summary, chart and the given
 * subscriber. Cold, the first seconds' pipeline took 5–18 ms a piece (compiling), enough to hold
 * back arrivals.
 */
export async function warmUpSession(options: SessionWarmUpOptions): Promise<void> {
  const { endpoints } = options
  const recorder = new Recorder(endpoints)
  await warmUp({
    flows: options.flows,
    endpoints,
    ...(options.data !== undefined && { data: options.data }),
    ...(options.transport !== undefined && { transport: options.transport }),
    ...(options.clock !== undefined && { clock: options.clock }),
    sink: recorder,
  })
  const pipeline = new SecondPipeline()
  if (options.onSecond !== undefined) pipeline.onSecond(options.onSecond)
  pipeline.start({
    type: 'header',
    schemaVersion: SCHEMA_VERSION,
    runId: 'warm-up',
    target: 'http://127.0.0.1',
    startedAt: new Date(0).toISOString(),
    startedAtMs: 0,
    config: {},
    profile: {},
    endpoints: [...endpoints],
  })
  for (const folded of warmUpFolds(recorder)) {
    for (const piece of pipeline.pieces(folded.second, decodedOf(folded.second, folded.histograms))) piece()
  }
}
