import { timeScaledSlos } from '../capacity/slo.js'
import type { RunConfig } from '../config/schema.js'
import { connectsPerVisit, endpointIds, runProfile } from '../profile/index.js'
import { runThresholds } from '../report/thresholds.js'
import { k6Script } from './k6.js'

/** The standing port of `checkin-load mock`, where an export without --target aims. */
const MOCK_DEFAULT_TARGET = 'http://127.0.0.1:3000'

/**
 * A run's config as a k6 script: the flows and thresholds `run` would use. The flows come from
 * the same resolution as the engine's (runProfile): browser traffic by default (preflights as
 * http.options, the web app's headers and bodies), `--traffic api` for bare calls.
 */
export function exportK6(config: RunConfig, about: { version: string; command: string }): string {
  const profile = runProfile(config)
  const endpoints = endpointIds(profile)
  // as run judges it: against the stand-in with --mock-time-scale F, the default latency bounds scale
  const timeScale = config.target === undefined ? config.mockTimeScale : 1
  const thresholds = runThresholds(config, endpoints, (defaults) => timeScaledSlos(defaults, timeScale))
  return k6Script({
    config,
    flows: profile.flows,
    endpoints,
    thresholds,
    target: config.target ?? MOCK_DEFAULT_TARGET,
    connectionPerVisit: connectsPerVisit(config),
    ...about,
  })
}
