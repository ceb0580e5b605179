import { ConfigError, ProductionTargetError } from '../errors.js'

const NON_PRODUCTION_WORDS = new Set(['staging', 'stage', 'dev', 'sandbox', 'review'])

/** Lower-case host without brackets or a trailing dot: "API.VA.GOV." -> "api.va.gov". */
export function normalizeHost(host: string): string {
  return host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.+$/, '')
}

/**
 * True for VA.gov production hosts: va.gov, api.va.gov, www.va.gov and any other va.gov subdomain
 * unless one of its labels names a non-production environment (staging-api.va.gov,
 * dev-api.va.gov, sandbox-api.va.gov, *.review.vetsgov-internal...).
 */
export function isProductionHost(host: string): boolean {
  const normalized = normalizeHost(host)
  if (normalized !== 'va.gov' && !normalized.endsWith('.va.gov')) return false
  const labels = normalized.slice(0, -'va.gov'.length).split('.').filter(Boolean)
  const words = labels.flatMap((label) => label.split('-'))
  return !words.some((word) => NON_PRODUCTION_WORDS.has(word))
}

/** Parses and checks a target URL: http(s) only, and no production host unless allowed. */
export function checkTarget(target: string, allowProduction: boolean): URL {
  let url: URL
  try {
    url = new URL(target)
  } catch {
    throw new ConfigError(`invalid --target "${target}": give a full URL, like http://127.0.0.1:3000`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`unsupported URL scheme "${url.protocol}" in --target: use http:// or https://`)
  }
  if (!allowProduction && isProductionHost(url.hostname)) {
    throw new ProductionTargetError(
      `refusing to load-test production host "${url.hostname}": target staging (e.g. https://staging-api.va.gov), or pass --allow-production if you really mean it`,
    )
  }
  return url
}
