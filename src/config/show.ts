import { REDACTED } from './load.js'
import type { RunConfig } from './schema.js'

/**
 * The RunConfig as `checkin-load config` prints it: a valid config file (read back, it gives the
 * same RunConfig), except that header values, which may be secrets, are shown as REDACTED; a file
 * that still holds REDACTED is refused with what to write instead.
 */
export function shownConfig(config: RunConfig): Record<string, unknown> {
  return {
    ...config,
    headers: Object.fromEntries(Object.keys(config.headers).map((name) => [name, REDACTED])),
  }
}
