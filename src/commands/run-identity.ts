import { randomBytes } from 'node:crypto'
import type { RunConfig } from '../config/schema.js'
import { randomSeed } from '../engine/index.js'
import type { DerivedProfile, Profile } from '../profile/types.js'

/** A run id: UTC time to the second, then 4 random hex digits (2026-11-26T22-00-00Z-ab12). */
export function makeRunId(now = new Date()): string {
  const stamp = now.toISOString().slice(0, 19).replace(/:/g, '-')
  return `${stamp}Z-${randomBytes(2).toString('hex')}`
}

/**
 * The seed of a run: --seed; else, for a shard with a shared start time, one derived from that
 * time, so that every shard draws the same arrival stream and keeps its own slice of it (the
 * shards then add up to the profile exactly); else a random one. It is written to the results.
 */
export function runSeed(config: Pick<RunConfig, 'seed' | 'shard' | 'startAtMs'>): number {
  if (config.seed !== undefined) return config.seed
  if (config.shard !== undefined && config.startAtMs !== undefined)
    return Math.floor(config.startAtMs / 1000) % 2 ** 31
  return randomSeed()
}

/** The derived load, as the series header and summary show it ("the load asked for"). */
export function profileRecord(profile: Profile, derived: DerivedProfile): Record<string, unknown> {
  const round = (x: number) => Math.round(x * 1000) / 1000
  return {
    name: profile.name,
    scale: derived.scale,
    flows: Object.fromEntries(
      derived.flows.map((f) => [f.name, { perMinute: round(f.perMinute), perHour: round(f.perHour) }]),
    ),
    endpoints: Object.fromEntries(
      derived.endpoints.map((e) => [e.endpoint, { method: e.method, rpm: round(e.rpm), rps: round(e.rps) }]),
    ),
    totalRpm: round(derived.totalRpm),
    totalRps: round(derived.totalRps),
    // browser traffic: the CORS preflights, apart from the table, and what the target receives
    ...(profile.traffic && { traffic: profile.traffic }),
    ...(derived.preflightRpm > 0 && {
      preflightRpm: round(derived.preflightRpm),
      receivedRpm: round(derived.receivedRpm),
    }),
  }
}
