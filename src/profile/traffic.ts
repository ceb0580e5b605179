import { browserHeaders, defaultOrigin, parseOrigin, withPreflights } from '../checkin/browser.js'
import type { FlowSpec, Profile, StepSpec, TrafficKind } from './types.js'

/**
 * How a profile's flows go on the wire (checkin-api.md §9, DESIGN.md §1 "What vets-api
 * receives"):
 * - `browser` (the default of run and capacity): every request as the check-in web app sends it
 *   from a browser at va.gov (Origin, X-Key-Inflection, Source-App-Name, X-CSRF-Token), each
 *   preceded by its CORS preflight where the visit's browser has none cached, and every answer
 *   checked for the CORS headers a browser needs. Preflights form the `preflight` row.
 * - `api`: bare API calls, the steps as written.
 * - `perEndpoint` (either kind): the profile's table as per-endpoint scripts send it: every
 *   request of every flow becomes a one-request flow at its flow's rate, so each request is a new
 *   visit (a fresh random UUID, no session cookie); paths, queries and bodies are unchanged.
 */
export interface TrafficOptions {
  readonly traffic: TrafficKind
  /** the web app's origin for browser traffic; default from the target (defaultOrigin) */
  readonly origin?: string | undefined
  /** the run's target; undefined: the embedded stand-in */
  readonly target?: string | undefined
  readonly perEndpoint?: boolean | undefined
  /** names of headers added to every request (--header): listed in the preflights too */
  readonly extraHeaderNames?: readonly string[] | undefined
}

export function applyTraffic(profile: Profile, options: TrafficOptions): Profile {
  const perEndpoint = options.perEndpoint === true
  const flows = perEndpoint ? perEndpointFlows(profile.flows) : profile.flows
  if (options.traffic === 'api') return { ...profile, flows, traffic: { kind: 'api', perEndpoint } }
  const origin = options.origin !== undefined ? parseOrigin(options.origin) : defaultOrigin(options.target)
  return {
    ...profile,
    flows: flows.map((flow) => browserFlow(flow, origin, options.extraHeaderNames ?? [])),
    traffic: { kind: 'browser', origin, perEndpoint },
  }
}

/** A flow as the web app's browser sends it: its headers on every request, preflights before. */
function browserFlow(flow: FlowSpec, origin: string, extraHeaderNames: readonly string[]): FlowSpec {
  const base = browserHeaders(flow.checkInType ?? 'dayOf', origin)
  const steps = flow.steps.map(
    (step): StepSpec =>
      step.kind === 'preflight'
        ? step
        : {
            ...step,
            headers: {
              ...base,
              ...(step.body !== undefined && { 'content-type': 'application/json' }),
              ...lowerCaseNames(step.headers ?? {}),
            },
            corsOrigin: origin,
          },
  )
  return { ...flow, steps: withPreflights(steps, origin, extraHeaderNames) }
}

function lowerCaseNames(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]))
}

/** Every request of every flow as a flow of its own, named `<flow>.<endpoint>`, at its flow's rate. */
export function perEndpointFlows(flows: readonly FlowSpec[]): FlowSpec[] {
  const out: FlowSpec[] = []
  const names = new Set<string>()
  for (const flow of flows) {
    for (const step of flow.steps) {
      if (step.kind === 'preflight') continue
      let name = `${flow.name}.${step.endpoint}`
      for (let n = 2; names.has(name); n++) name = `${flow.name}.${step.endpoint}.${n}`
      names.add(name)
      const { thinkTimeMs: _alone, ...request } = step
      out.push({
        name,
        arrivalsPerMinute: flow.arrivalsPerMinute,
        ...(flow.checkInType !== undefined && { checkInType: flow.checkInType }),
        steps: [request],
      })
    }
  }
  return out
}

/**
 * Browsers open a connection per visit (and close it at its end): the default with browser
 * traffic. `--connections N` asks for the shared pool of N (stress beyond per-visit handshakes).
 */
export function connectsPerVisit(config: {
  readonly traffic: TrafficKind
  readonly connections?: number | undefined
}): boolean {
  return config.traffic === 'browser' && config.connections === undefined
}

/** The traffic options of a run's (or capacity search's) configuration. */
export function trafficOf(config: {
  readonly traffic: TrafficKind
  readonly origin?: string | undefined
  readonly target?: string | undefined
  readonly perEndpoint: boolean
  readonly headers: Readonly<Record<string, string>>
  readonly headersFromEnv: Readonly<Record<string, string>>
}): TrafficOptions {
  return {
    traffic: config.traffic,
    origin: config.origin,
    target: config.target,
    perEndpoint: config.perEndpoint,
    extraHeaderNames: [...Object.keys(config.headers), ...Object.keys(config.headersFromEnv)],
  }
}
