import { checkinProfile } from '../../src/profile/index.js'

/**
 * Requests of each endpoint a run of the built-in profile asks for, exactly, with constant
 * arrivals held at `scale` for `durationMs` (`--duration`, `--arrival constant`): each flow's
 * arrivals are the points (n + 0.5) / rate before the end, and every arrival asks each step of its
 * flow once (all answered, against the stand-in).
 */
export function expectedAsked(scale: number, durationMs: number): Record<string, number> {
  const asked: Record<string, number> = {}
  for (const flow of checkinProfile().flows) {
    const expected = (flow.arrivalsPerMinute * scale * durationMs) / 60_000
    const arrivals = Math.max(0, Math.ceil(expected - 0.5))
    for (const step of flow.steps) asked[step.endpoint] = (asked[step.endpoint] ?? 0) + arrivals
  }
  return asked
}
