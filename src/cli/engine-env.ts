import { CLOCK_KINDS, type RunConfigInput, TRANSPORT_KINDS } from '../config/schema.js'
import { ConfigError } from '../errors.js'

/** The environment variables that choose the engine's HTTP client and clock when no flag or file does. */
export const TRANSPORT_ENV = 'CHECKIN_LOAD_TRANSPORT'
export const CLOCK_ENV = 'CHECKIN_LOAD_CLOCK'

/**
 * The run config's defaults from the environment: CHECKIN_LOAD_TRANSPORT (raw | undici) and
 * CHECKIN_LOAD_CLOCK (timer | precise), under the config file and the flags. Read here, at the
 * front door, and nowhere else: the engine gets them as options.
 */
export function engineDefaultsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): Pick<RunConfigInput, 'transport' | 'clock'> {
  const transport = choice(env, TRANSPORT_ENV, TRANSPORT_KINDS)
  const clock = choice(env, CLOCK_ENV, CLOCK_KINDS)
  return { ...(transport !== undefined && { transport }), ...(clock !== undefined && { clock }) }
}

function choice<K extends string>(
  env: NodeJS.ProcessEnv,
  variable: string,
  kinds: readonly K[],
): K | undefined {
  const value = env[variable]
  if (value === undefined || value === '') return undefined
  if (!(kinds as readonly string[]).includes(value)) {
    throw new ConfigError(`${variable}=${value} is not one of ${kinds.join(', ')}`)
  }
  return value as K
}
