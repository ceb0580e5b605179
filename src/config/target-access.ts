import { readFileSync } from 'node:fs'
import { ConfigError } from '../errors.js'
import type { RunConfig } from './schema.js'

/** The CA file's contents, read once at the start of a run. */
export function readCaFile(path: string | undefined): Buffer | undefined {
  if (path === undefined) return undefined
  try {
    return readFileSync(path)
  } catch (error) {
    throw new ConfigError(`cannot read the CA file "${path}": ${(error as Error).message}`)
  }
}

/** The run's headers with the secrets of --header-from-env filled in (never written anywhere). */
export function resolveHeaders(config: RunConfig): Record<string, string> {
  const headers: Record<string, string> = { ...config.headers }
  for (const [name, variable] of Object.entries(config.headersFromEnv)) {
    const value = process.env[variable]
    if (value === undefined) {
      throw new ConfigError(
        `header "${name}" is to come from environment variable ${variable}, which is not set`,
      )
    }
    headers[name.toLowerCase()] = value
  }
  return headers
}
