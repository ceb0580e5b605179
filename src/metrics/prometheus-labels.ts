import { UsageError } from '../errors.js'
import type { ThresholdResult } from '../model/results.js'

/** Label names and values of the Prometheus exposition: the run's own, and those from `--tag`. */

/** Label names the exporter uses itself: a `--tag` key may not take one. */
export const RESERVED_LABELS: ReadonlySet<string> = new Set([
  'run_id',
  'shard',
  'endpoint',
  'method',
  'status',
  'kind',
  'threshold',
  'target',
  'shards',
  'le',
])

/** The target as a label: scheme, host and path only (never credentials or a query). */
export function safeTarget(target: string | undefined): string {
  if (target === undefined) return ''
  try {
    const url = new URL(target)
    return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`
  } catch {
    return ''
  }
}

/** `http_req_duration{endpoint:post_session} p(95)<500`: the threshold as the user wrote it. */
export function thresholdLabel(result: Pick<ThresholdResult, 'metric' | 'expr'>): string {
  return `${result.metric} ${result.expr}`
}

/**
 * Constant labels from `--tag key:value` (DogStatsD's tag syntax): the key becomes a label name
 * (characters outside [A-Za-z0-9_] turn into `_`), a tag without a value gets "true". A key that
 * the exporter uses itself, or given twice, is a usage error.
 */
export function promLabelsFromTags(tags: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {}
  for (const tag of tags) {
    const colon = tag.indexOf(':')
    const rawKey = (colon < 0 ? tag : tag.slice(0, colon)).trim()
    const value = colon < 0 ? 'true' : tag.slice(colon + 1)
    let key = rawKey.replace(/[^A-Za-z0-9_]/g, '_')
    if (/^[0-9]/.test(key)) key = `_${key}`
    if (key === '' || key.startsWith('__'))
      throw new UsageError(`--tag "${tag}": the key must be a name, like env:staging`)
    if (RESERVED_LABELS.has(key))
      throw new UsageError(`--tag "${tag}": "${key}" is a label of checkin-load's own`)
    if (key in labels) throw new UsageError(`--tag "${tag}": "${key}" is given twice`)
    labels[key] = value
  }
  return labels
}
