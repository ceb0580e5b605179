import { createHash } from 'node:crypto'
import type { RunConfig } from '../config/schema.js'
import { shardConfigFile } from './k8s.js'

/**
 * The run id shards agree on without being told: shards started separately (by hand, on several
 * machines) with one `--start-at` and the same flags name their run alike, so `merge` takes their
 * folders as written. The id is the start time and a hash of the run's config without what differs
 * from shard to shard (the shard, the output folder, the Prometheus port) or does not change the
 * load (--quiet, DogStatsD, tags): 2026-12-04T18-00-00Z-3f2a9c. Not a shard, or no shared start:
 * undefined (the run makes a fresh id).
 */
export function sharedRunId(config: RunConfig): string | undefined {
  if (config.shard === undefined || config.startAtMs === undefined) return undefined
  const stamp = new Date(config.startAtMs).toISOString().slice(0, 19).replace(/:/g, '-')
  return `${stamp}Z-${configHash(config)}`
}

/** Six hex digits of a hash of the load a config asks for (see sharedRunId). */
export function configHash(config: RunConfig): string {
  const {
    quiet: _quiet,
    dogstatsd: _dogstatsd,
    tags: _tags,
    prometheusLingerMs: _linger,
    headers,
    ...load
  } = shardConfigFile(config)
  // header names only: a run id is printed everywhere, and must carry nothing of a secret value
  const headerNames = Object.keys(headers as Record<string, string>).sort()
  return createHash('sha256')
    .update(canonicalJson({ ...load, headerNames }))
    .digest('hex')
    .slice(0, 6)
}

/** JSON with object keys sorted, so that equal configs hash alike whatever their keys' order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}
