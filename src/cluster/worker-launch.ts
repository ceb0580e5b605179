import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { RunConfig } from '../config/schema.js'
import { ConfigError } from '../errors.js'
import type { FleetOptions } from './fleet-types.js'
import { shardConfigFile } from './k8s.js'

/**
 * How many workers a run has, and what each is launched with (its config file, environment and
 * command line); the fleet (fleet.ts) forks them.
 */

/** dist/src/cluster/worker-launch.js -> <package>/bin/checkin-load.js */
export const BIN_PATH = fileURLToPath(new URL('../../../bin/checkin-load.js', import.meta.url))

/** Subfolder of the run folder holding the workers' config and their own run folders. */
export const SHARDS_DIR = 'shards'

/**
 * Workers of a run when --workers is not given: one per core but one when the target is elsewhere
 * (the last core for the system and the terminal); one when the embedded stand-in shares the
 * machine (it needs the other cores) or when the run is itself a shard (a pod, or a worker).
 */
export function defaultWorkers(
  config: Pick<RunConfig, 'target' | 'shard'>,
  cores: number = availableParallelism(),
): number {
  if (config.shard !== undefined || config.target === undefined) return 1
  return Math.max(1, cores - 1)
}

/** The workers of a run: --workers, or the default; refuses --workers N with --shard. */
export function workersOf(config: Pick<RunConfig, 'target' | 'shard' | 'workers'>): number {
  if (config.workers !== undefined && config.workers > 1 && config.shard !== undefined) {
    throw new ConfigError(
      '--workers and --shard do not go together: a shard runs in one process (run more shards instead)',
    )
  }
  return config.workers ?? defaultWorkers(config)
}

/** Environment variables that carry the run's literal --header values to the workers. */
export const HEADER_ENV_PREFIX = 'CHECKIN_LOAD_WORKER_HEADER_'

/**
 * What the workers are launched with: the config file they read (the parent's config, minus what
 * only the parent does, with the in-flight cap and connections shared out) and the environment it
 * needs. Literal header values (secrets, often) never
 * go into the file, which stays in the run folder: each travels in an environment variable, and
 * the file names the variable (headersFromEnv), as a user would for a pod.
 */
export function workerLaunch(
  config: RunConfig,
  workers: number,
): {
  file: Record<string, unknown>
  env: Record<string, string>
} {
  const env: Record<string, string> = {}
  const headersFromEnv: Record<string, string> = { ...config.headersFromEnv }
  Object.entries(config.headers).forEach(([name, value], i) => {
    env[`${HEADER_ENV_PREFIX}${i}`] = value
    headersFromEnv[name] = `${HEADER_ENV_PREFIX}${i}`
  })
  const { dogstatsd: _dogstatsd, ...file } = shardConfigFile({
    ...config,
    // the run's caps, shared out: N workers together hold as many flows and connections as one
    maxInFlight: Math.ceil(config.maxInFlight / workers),
    ...(config.connections !== undefined && { connections: Math.ceil(config.connections / workers) }),
    headers: {},
    headersFromEnv,
    // the parent judges the merged run and stops every worker; a worker must not stop alone
    thresholds: config.thresholds.map((t) => ({ ...t, abortOnFail: false })),
  })
  return { file: { ...file, quiet: true, prometheusLingerMs: 0 }, env }
}

/**
 * The command line of worker `index` of `count`: a pod's (src/cluster/k8s.ts), but for the start
 * time, which comes over IPC once every worker is ready.
 */
export function workerArgs(
  options: Pick<FleetOptions, 'runId' | 'runDir' | 'seed' | 'target'>,
  index: number,
  count: number,
  configPath: string,
): string[] {
  return [
    'run',
    '--config',
    configPath,
    '--target',
    options.target,
    '--shard',
    `${index}/${count}`,
    '--seed',
    String(options.seed),
    '--run-id',
    options.runId,
    '--out',
    join(options.runDir, SHARDS_DIR, String(index)),
    '--workers',
    '1',
    '--quiet',
  ]
}
