import type { HttpMethod } from '../model/endpoints.js'
import type { DerivedProfile, EndpointRate, Profile } from './types.js'

/**
 * Per-endpoint request rates of a profile at a scale: each flow's arrivals x its steps. CORS
 * preflights (browser traffic) are not rows of the table: they are counted apart, in
 * preflightRpm, and in receivedRpm (what the target receives).
 */
export function deriveRates(profile: Profile, scale = 1): DerivedProfile {
  const byEndpoint = new Map<string, { method: HttpMethod; rpm: number }>()
  let preflightRpm = 0
  for (const flow of profile.flows) {
    const perMinute = flow.arrivalsPerMinute * scale
    for (const step of flow.steps) {
      if (step.kind === 'preflight') {
        preflightRpm += perMinute
        continue
      }
      const entry = byEndpoint.get(step.endpoint)
      if (entry) entry.rpm += perMinute
      else byEndpoint.set(step.endpoint, { method: step.method, rpm: perMinute })
    }
  }
  const endpoints: EndpointRate[] = [...byEndpoint].map(([endpoint, { method, rpm }]) => ({
    endpoint,
    method,
    rpm,
    rps: rpm / 60,
  }))
  const totalRpm = endpoints.reduce((sum, e) => sum + e.rpm, 0)
  return {
    profile: profile.name,
    scale,
    flows: profile.flows.map((flow) => ({
      name: flow.name,
      perMinute: flow.arrivalsPerMinute * scale,
      perHour: flow.arrivalsPerMinute * scale * 60,
    })),
    endpoints,
    totalRpm,
    totalRps: totalRpm / 60,
    preflightRpm,
    receivedRpm: totalRpm + preflightRpm,
  }
}

/**
 * The endpoint ids of a profile (the run's rows): its requests' in the order they first appear,
 * then the preflight row's, if any.
 */
export function endpointIds(profile: Profile): string[] {
  const ids: string[] = []
  const preflightIds: string[] = []
  for (const flow of profile.flows)
    for (const step of flow.steps) {
      const list = step.kind === 'preflight' ? preflightIds : ids
      if (!list.includes(step.endpoint)) list.push(step.endpoint)
    }
  return [...ids, ...preflightIds.filter((id) => !ids.includes(id))]
}
