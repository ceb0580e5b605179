import { join } from 'node:path'
import { z } from 'zod'
import { runConfigSchema } from '../config/schema.js'
import { type ThresholdSpec, thresholdSpecs } from '../config/thresholds.js'
import { ConfigError } from '../errors.js'
import type { SeriesEnd, SeriesHeader, Summary } from '../model/results.js'
import { RunAccumulator } from './accumulator.js'
import type { ChartData } from './chart-data.js'
import { readSeries } from './series.js'
import { SERIES_FILE } from './summary-file.js'
import { defaultSlosFor, timeScaledSlos, withDefaults as withDefaultSlos } from './thresholds.js'

/** Re-judging an old run: each option, when given, overrides what the run's config said. */
export interface RebuildOptions {
  /** judge by these instead of the run's own thresholds */
  readonly thresholds?: readonly ThresholdSpec[]
  /** add the built-in SLOs (default: as the run did) */
  readonly defaultSlos?: boolean
}

export interface RebuiltRun {
  readonly header: SeriesHeader
  readonly summary: Summary
  readonly chart: ChartData
  /** line number of a torn last line that was skipped */
  readonly tornLine?: number
}

/**
 * A run's summary and chart data from its series.ndjson alone: what `checkin-load report DIR`
 * does after a crash (no end line: endReason "incomplete", up to the last whole second) or to
 * re-judge an old run with other thresholds.
 */
export async function rebuildSummary(dir: string, options: RebuildOptions = {}): Promise<RebuiltRun> {
  let accumulator: RunAccumulator | undefined
  let end: SeriesEnd | undefined
  let tornLine: number | undefined
  for await (const line of readSeries(join(dir, SERIES_FILE), (n) => {
    tornLine = n
  })) {
    if (line.type === 'header') accumulator = new RunAccumulator(line)
    else if (line.type === 'second') accumulator!.add(line)
    else if (line.type === 'control') accumulator!.addControl(line)
    else end = line
  }
  const { header, chart } = accumulator!
  for (const spec of options.thresholds ?? []) {
    // re-judging by an endpoint the run never sent would only say "no data"
    if (spec.endpoint !== undefined && !header.endpoints.includes(spec.endpoint)) {
      throw new ConfigError(
        `threshold "${spec.metric}" names endpoint "${spec.endpoint}", which this run did not send: its endpoints: ${header.endpoints.join(', ')}`,
      )
    }
  }
  const thresholds = thresholdsOfRun(header, options)
  return {
    header,
    summary: accumulator!.buildSummary({
      ...(end && { endedAt: end.endedAt }),
      endReason: end?.reason ?? 'incomplete',
      thresholds,
    }),
    chart: chart.result(),
    ...(tornLine !== undefined && { tornLine }),
  }
}

const judgingSchema = z.object({
  thresholds: runConfigSchema.shape.thresholds,
  defaultSlos: runConfigSchema.shape.defaultSlos,
})

/** The thresholds a run is judged by: the config in its header, unless overridden. */
export function thresholdsOfRun(header: SeriesHeader, overrides: RebuildOptions = {}): ThresholdSpec[] {
  const parsed = judgingSchema.safeParse(header.config)
  const config = parsed.success ? parsed.data : { thresholds: [], defaultSlos: true }
  const own = overrides.thresholds ?? thresholdSpecs(config.thresholds)
  const useDefaults = overrides.defaultSlos ?? config.defaultSlos
  // a run against the embedded stand-in with --mock-time-scale F judged the built-in latency
  // bounds x F (commands/run.ts): judged again, so are they
  const run = header.config as { target?: unknown; mockTimeScale?: unknown }
  const timeScale = run.target === undefined && typeof run.mockTimeScale === 'number' ? run.mockTimeScale : 1
  return withDefaultSlos(own, useDefaults ? timeScaledSlos(defaultSlosFor(header.endpoints), timeScale) : [])
}
