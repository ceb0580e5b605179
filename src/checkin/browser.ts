import { ConfigError } from '../errors.js'
import { PREFLIGHT_ENDPOINT_ID } from '../model/endpoints.js'
import type { StepSpec } from '../profile/types.js'
import type { CheckInApp } from './requests.js'

/**
 * What a browser adds to the check-in web app's requests (checkin-api.md §9): the headers of
 * vets-website's `apiRequest` (src/platform/utilities/api/index.js), the Origin, and the CORS
 * preflight the browser sends before each request that carries non-simple headers, unless its
 * preflight cache holds an answer for that URL.
 */

/** Source-App-Name: `window.appName`, each app's `entryName` in its manifest.json */
export const SOURCE_APP_NAMES: Readonly<Record<CheckInApp, string>> = {
  dayOf: 'check-in',
  preCheckIn: 'pre-check-in',
}

/**
 * X-CSRF-Token: `apiRequest` sends localStorage's `csrfToken`. vets-api does not expose
 * X-CSRF-Token to other origins (its Rack::Cors `expose` list), so the web app at va.gov never
 * reads one from api.va.gov and a fresh browser's header is the string "null" (fetch stringifies
 * the missing value). The check-in controllers skip the CSRF check, so the value changes nothing.
 */
export const STORED_CSRF_TOKEN = 'null'

/**
 * How long a browser keeps a preflight's answer: rack-cors' default Access-Control-Max-Age is
 * 7200 s (vets-api sets none) and Chrome caps the cache at 2 h. A visit is far shorter: in
 * practice each distinct URL of a visit is preflighted once.
 */
export const PREFLIGHT_MAX_AGE_MS = 7_200_000

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1'])

/**
 * The web app's origin for a target: where a browser would send from.
 * - staging-api.va.gov -> https://staging.va.gov, dev-api.va.gov -> https://dev.va.gov,
 *   api.va.gov -> https://www.va.gov;
 * - a loopback target (or none: the embedded stand-in) -> http://localhost:3001, the local
 *   vets-website dev server that a local vets-api allows (and the stand-in by default);
 * - any other target -> its own origin.
 */
export function defaultOrigin(target: string | undefined): string {
  if (target === undefined) return 'http://localhost:3001'
  const url = new URL(target)
  const host = url.hostname.toLowerCase()
  if (host === 'staging-api.va.gov') return 'https://staging.va.gov'
  if (host === 'dev-api.va.gov') return 'https://dev.va.gov'
  if (host === 'api.va.gov') return 'https://www.va.gov'
  if (LOOPBACK_HOSTS.has(host)) return 'http://localhost:3001'
  return url.origin
}

/** An --origin value as a browser serializes it (scheme://host[:port], no path); else a clear error. */
export function parseOrigin(text: string): string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new ConfigError(`invalid origin "${text}": write a scheme and host, like https://staging.va.gov`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError(`invalid origin "${text}": the scheme must be http or https`)
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '')
    throw new ConfigError(`invalid origin "${text}": an origin has no path, query or fragment`)
  return url.origin
}

/** The headers `apiRequest` and the browser put on every request of the app. */
export function browserHeaders(app: CheckInApp, origin: string): Record<string, string> {
  return {
    accept: '*/*',
    origin,
    'x-key-inflection': 'camel',
    'source-app-name': SOURCE_APP_NAMES[app],
    'x-csrf-token': STORED_CSRF_TOKEN,
  }
}

/** Set by the browser itself (forbidden to scripts) or CORS-safelisted by name: never preflighted. */
const NOT_AUTHOR_HEADERS = new Set([
  'accept-charset',
  'accept-encoding',
  'connection',
  'content-length',
  'cookie',
  'date',
  'host',
  'keep-alive',
  'origin',
  'referer',
  'te',
  'transfer-encoding',
  'user-agent',
  'accept-language',
  'content-language',
])
const SIMPLE_CONTENT_TYPES = new Set([
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'text/plain',
])
const SIMPLE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST'])

/**
 * The request's CORS-unsafe header names as Chrome lists them in Access-Control-Request-Headers:
 * lower-case, sorted, unique. `accept` and a simple `content-type` are safelisted; an
 * application/json content type is not.
 */
export function corsUnsafeHeaderNames(
  headers: Readonly<Record<string, string>>,
  extraNames: readonly string[] = [],
): string[] {
  const names = new Set<string>()
  for (const [rawName, value] of Object.entries(headers)) {
    const name = rawName.toLowerCase()
    if (NOT_AUTHOR_HEADERS.has(name) || name.startsWith('sec-') || name.startsWith('proxy-')) continue
    if (name === 'accept' && !/["(),:<>?@[\\\]{}\x7f]/.test(value)) continue
    if (name === 'content-type' && SIMPLE_CONTENT_TYPES.has(value.split(';')[0]!.trim().toLowerCase()))
      continue
    names.add(name)
  }
  for (const name of extraNames) {
    const lower = name.toLowerCase()
    if (!NOT_AUTHOR_HEADERS.has(lower)) names.add(lower)
  }
  return [...names].sort()
}

/** The preflight a browser sends before `step` (an OPTIONS to the same URL, without cookies). */
export function preflightStep(step: StepSpec, origin: string, unsafeNames: readonly string[]): StepSpec {
  return {
    endpoint: PREFLIGHT_ENDPOINT_ID,
    method: 'OPTIONS',
    path: step.path,
    headers: {
      accept: '*/*',
      'access-control-request-method': step.method,
      ...(unsafeNames.length > 0 && { 'access-control-request-headers': unsafeNames.join(',') }),
      origin,
    },
    ...(step.thinkTimeMs !== undefined && step.thinkTimeMs > 0 && { thinkTimeMs: step.thinkTimeMs }),
    kind: 'preflight',
    corsOrigin: origin,
  }
}

interface CachedPreflight {
  readonly methods: ReadonlySet<string>
  readonly headers: ReadonlySet<string>
  /** the visit's think time before the preflight (a lower bound of its age's start) */
  readonly atMs: number
}

/**
 * A visit's steps as its browser sends them: each step gets its CORS preflight first unless the
 * visit's preflight cache covers it (same URL template, answered within the max-age, the method
 * simple or asked before, every unsafe header asked before). The cache is the visit's own: each
 * visit is a new browser. A step's think time moves before its preflight (the user pauses, then
 * the app's fetch preflights and sends). `extraHeaderNames`: headers added to every request of
 * the run (--header), which the browser would list too.
 */
export function withPreflights(
  steps: readonly StepSpec[],
  origin: string,
  extraHeaderNames: readonly string[] = [],
): StepSpec[] {
  const cache = new Map<string, CachedPreflight>()
  const out: StepSpec[] = []
  let elapsedMs = 0
  for (const step of steps) {
    elapsedMs += step.thinkTimeMs ?? 0
    if (step.kind === 'preflight') {
      out.push(step)
      continue
    }
    const unsafe = corsUnsafeHeaderNames(step.headers ?? {}, extraHeaderNames)
    const needs = !SIMPLE_METHODS.has(step.method) || unsafe.length > 0
    const cached = cache.get(step.path)
    const covered =
      cached !== undefined &&
      elapsedMs - cached.atMs < PREFLIGHT_MAX_AGE_MS &&
      (SIMPLE_METHODS.has(step.method) || cached.methods.has(step.method)) &&
      unsafe.every((name) => cached.headers.has(name))
    if (!needs || covered) {
      out.push(step)
      continue
    }
    out.push(preflightStep(step, origin, unsafe))
    const { thinkTimeMs: _movedToPreflight, ...request } = step
    out.push(request)
    cache.set(step.path, { methods: new Set([step.method]), headers: new Set(unsafe), atMs: elapsedMs })
  }
  return out
}
