/**
 * Secrets never reach the results: the config written to series.ndjson and summary.json has the
 * values of secret-looking headers replaced, and every header that comes from the environment
 * shown only as redacted (its value is read at the start and kept in memory only).
 */
export const REDACTED = '<redacted>'

const SECRET_HEADER =
  /auth|cookie|token|secret|passw|session|credential|signature|jwt|api[-_]?key|(^|[-_])key$/i

export function isSecretHeader(name: string): boolean {
  return SECRET_HEADER.test(name)
}

export function redactHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, isSecretHeader(name) ? REDACTED : value]),
  )
}

/** A copy of a run config safe to write: header values redacted as above. */
export function redactConfig(config: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config }
  if (isStringRecord(config.headers)) out.headers = redactHeaders(config.headers)
  if (isStringRecord(config.headersFromEnv)) {
    out.headersFromEnv = Object.fromEntries(
      Object.keys(config.headersFromEnv).map((name) => [name, REDACTED]),
    )
  }
  return out
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
