/**
 * Program errors (not request failures): one catalog, a stable code and exit code each.
 * Exit codes (DESIGN.md §4): 0 pass, 99 thresholds failed, 2 bad usage or config, 1 internal error.
 * Compare errors by `code`, never by `instanceof`: errors that cross a worker lose their class.
 */
export const EXIT = { ok: 0, internal: 1, usage: 2, thresholdsFailed: 99 } as const
export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

export class CheckinLoadError extends Error {
  readonly code: string
  readonly exitCode: ExitCode
  constructor(code: string, message: string, exitCode: ExitCode) {
    super(message)
    this.name = 'CheckinLoadError'
    this.code = code
    this.exitCode = exitCode
  }
}

/** A user's mistake in flags, config or input files: exit 2 with a message that says what to fix. */
export class UsageError extends CheckinLoadError {
  constructor(message: string, code = 'CL_USAGE') {
    super(code, message, EXIT.usage)
    this.name = 'UsageError'
  }
}

/** A config file or flag value that failed validation. */
export class ConfigError extends UsageError {
  constructor(message: string) {
    super(message, 'CL_CONFIG')
    this.name = 'ConfigError'
  }
}

/** A production host targeted without --allow-production. */
export class ProductionTargetError extends UsageError {
  constructor(message: string) {
    super(message, 'CL_PRODUCTION_TARGET')
    this.name = 'ProductionTargetError'
  }
}

/** A results folder or file that cannot be read as checkin-load results. */
export class ResultsError extends UsageError {
  constructor(message: string) {
    super(message, 'CL_RESULTS')
    this.name = 'ResultsError'
  }
}

export function isCheckinLoadError(error: unknown): error is CheckinLoadError {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { exitCode?: unknown }).exitCode === 'number'
  )
}
