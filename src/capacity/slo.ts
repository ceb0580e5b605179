import { type ThresholdEntry, type ThresholdSpec, thresholdSpecs } from '../config/thresholds.js'
import { ConfigError } from '../errors.js'
import { defaultSlosFor, timeScaledSlos, withDefaults } from '../report/index.js'

/**
 * What a capacity step is judged by: the user's SLOs (--slo, --threshold, the config file's
 * thresholds), then the built-in SLO set of the profile's endpoints unless --no-default-slos. The
 * built-in set ends with `http_req_failed: rate<0.01` and `dropped: count==0`: a step that loses
 * requests or cannot send them all does not hold, whatever its latency.
 */
export function capacitySlos(
  config: { readonly thresholds?: readonly ThresholdEntry[]; readonly defaultSlos?: boolean },
  endpoints: readonly string[],
): ThresholdSpec[] {
  const specs = withDefaults(
    thresholdSpecs(config.thresholds ?? [], 'SLO'),
    config.defaultSlos === false ? [] : defaultSlosFor(endpoints),
  )
  // an SLO on an endpoint the steps do not send would fail every step as "no data": refuse it now
  for (const spec of specs) {
    if (spec.endpoint !== undefined && !endpoints.includes(spec.endpoint)) {
      throw new ConfigError(
        `SLO "${spec.metric}" names endpoint "${spec.endpoint}", which the steps do not send: known: ${endpoints.join(', ')}`,
      )
    }
  }
  if (specs.length === 0) {
    throw new ConfigError(
      'nothing to judge the steps by: give an --slo (like "http_req_duration: p(95)<500") or drop --no-default-slos',
    )
  }
  return specs
}

// the time-scaled twin's SLOs are the report's too (a rebuilt run is judged as it was)
export { timeScaledSlos }

/** One SLO condition as capacity.json lists it: as written, and as judged (after time scaling). */
export interface SloRecord {
  readonly metric: string
  /** the condition as written, e.g. p(95)<1000 */
  readonly expr: string
  /** the condition the steps were judged by, e.g. p(95)<100 with --mock-time-scale 0.1 */
  readonly judgedExpr: string
}

export function sloRecords(written: readonly ThresholdSpec[], judged: readonly ThresholdSpec[]): SloRecord[] {
  const out: SloRecord[] = []
  written.forEach((spec, i) => {
    spec.conditions.forEach((condition, j) => {
      out.push({
        metric: spec.metric,
        expr: condition.text,
        judgedExpr: judged[i]?.conditions[j]?.text ?? condition.text,
      })
    })
  })
  return out
}
