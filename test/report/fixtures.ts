import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runConfigSchema } from '../../src/config/schema.js'
import { encodeHistogram, type Histogram, newHistogram, recordUs } from '../../src/model/histogram.js'
import {
  type EndReason,
  type IntervalStats,
  SCHEMA_VERSION,
  type SeriesEnd,
  type SeriesHeader,
  type SeriesSecond,
} from '../../src/model/results.js'
import { checkinProfile, deriveRates } from '../../src/profile/index.js'

/**
 * Synthetic runs for the report's tests and the docs' screenshot: series lines exactly as the
 * engine writes them (src/model/results.ts), with real encoded HDR histograms, from a seeded RNG.
 * Every recorded value is also kept raw, so tests can check the report's numbers against a
 * histogram recorded straight from them.
 */
export interface Scenario {
  readonly seconds: number
  readonly seed?: number
  readonly runId?: string
  /** share of the profile asked at second t (default: ramp 0.2 -> 1 over the first 10 s, then 1) */
  readonly share?: (t: number) => number
  /** one latency sample (ms from the intended time) of an endpoint at second t */
  readonly latencyMs?: (endpoint: string, t: number, random: () => number) => number
  /** probability that a request fails (as http_5xx) */
  readonly errorRate?: (endpoint: string, t: number) => number
  /** arrivals dropped at second t */
  readonly dropped?: (endpoint: string, t: number) => number
  readonly generator?: (t: number) => SeriesSecond['generator']
  /** how the run ended; null: no end line (killed) */
  readonly end?: EndReason | null
  readonly config?: Record<string, unknown>
}

export interface SyntheticRun {
  readonly header: SeriesHeader
  readonly seconds: SeriesSecond[]
  readonly end: SeriesEnd | undefined
  /** series.ndjson's text */
  readonly text: string
  /** every latency recorded, µs, per endpoint */
  readonly rawLatencyUs: ReadonlyMap<string, number[]>
}

export const STARTED_AT_MS = Date.UTC(2026, 10, 26, 22, 0, 0)

/** Deterministic PRNG (mulberry32). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Base latency per endpoint against the fast stand-in, ms. */
const BASE_MS: Readonly<Record<string, number>> = {
  get_session: 2.2,
  post_session: 3.4,
  get_patient_check_in: 4.1,
  post_patient_check_in: 3.6,
  get_pre_check_in: 2.6,
  post_pre_check_in: 3.9,
}

/** A healthy run against the fast stand-in: a few ms, log-normal-ish tail. */
export const fastLatency = (endpoint: string, _t: number, random: () => number) => {
  const base = BASE_MS[endpoint] ?? 3
  return base * Math.exp(0.35 * gaussian(random)) + (random() < 0.01 ? 20 * random() : 0)
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
}

const defaultShare = (t: number) => (t < 10 ? 0.2 + (0.8 * (t + 1)) / 10 : 1)

export function synthesizeRun(scenario: Scenario): SyntheticRun {
  const random = seeded(scenario.seed ?? 1)
  const profile = deriveRates(checkinProfile(), 1)
  const config =
    scenario.config ?? runConfigSchema.parse({ stages: [{ durationMs: scenario.seconds * 1000, target: 1 }] })
  const endpoints = profile.endpoints.map((e) => e.endpoint)
  const header: SeriesHeader = {
    type: 'header',
    schemaVersion: SCHEMA_VERSION,
    runId: scenario.runId ?? '2026-11-26T22-00-00Z-test',
    target: 'http://127.0.0.1:3000',
    startedAt: new Date(STARTED_AT_MS).toISOString(),
    startedAtMs: STARTED_AT_MS,
    config,
    profile: JSON.parse(JSON.stringify(profile)),
    endpoints,
  }
  const latencyMs = scenario.latencyMs ?? fastLatency
  const share = scenario.share ?? defaultShare
  const rawLatencyUs = new Map<string, number[]>(endpoints.map((id) => [id, []]))
  const seconds: SeriesSecond[] = []
  let inFlight = 0
  for (let t = 0; t < scenario.seconds; t++) {
    const s = share(t)
    const line: SeriesSecond = {
      type: 'second',
      t,
      share: s,
      endpoints: {},
      generator: scenario.generator?.(t) ?? {
        eventLoopLagMsP99: Number((1 + random() * 1.5).toFixed(3)),
        cpuPct: Number((18 + 20 * s + random() * 4).toFixed(1)),
        rssMb: Number((92 + t * 0.05).toFixed(1)),
        inFlight: 0,
      },
    }
    for (const { endpoint, rps } of profile.endpoints) {
      const dropped = scenario.dropped?.(endpoint, t) ?? 0
      const asked = Math.max(0, Math.round(rps * s + (random() - 0.5) * 2))
      const sent = Math.max(0, asked - dropped)
      const latency = newHistogram()
      const fromSend = newHistogram()
      const sendLag = newHistogram()
      let errors = 0
      for (let i = 0; i < sent; i++) {
        const us = Math.max(1, Math.round(latencyMs(endpoint, t, random) * 1000))
        const lagUs = Math.round(20 + random() * 200 + (random() < 0.0004 ? 1000 + random() * 2000 : 0))
        recordUs(latency, us)
        recordUs(fromSend, Math.max(1, us - lagUs))
        recordUs(sendLag, lagUs)
        rawLatencyUs.get(endpoint)!.push(us)
        if (random() < (scenario.errorRate?.(endpoint, t) ?? 0)) errors++
      }
      inFlight += Math.round(sent * 0.004)
      line.endpoints[endpoint] = interval(
        asked,
        sent,
        errors,
        Math.min(dropped, asked),
        latency,
        fromSend,
        sendLag,
      )
    }
    if (!scenario.generator) line.generator.inFlight = inFlight % 7
    seconds.push(line)
  }
  const end: SeriesEnd | undefined =
    scenario.end === null
      ? undefined
      : {
          type: 'end',
          endedAt: new Date(STARTED_AT_MS + scenario.seconds * 1000 + 250).toISOString(),
          reason: scenario.end ?? 'completed',
          abandonedInFlight: 0,
        }
  const text = [header, ...seconds, ...(end ? [end] : [])].map((l) => `${JSON.stringify(l)}\n`).join('')
  return { header, seconds, end, text, rawLatencyUs }
}

function interval(
  asked: number,
  requests: number,
  errors: number,
  dropped: number,
  latency: Histogram,
  fromSend: Histogram,
  sendLag: Histogram,
): IntervalStats {
  return {
    asked,
    requests,
    ok: requests - errors,
    dropped,
    errors: errors > 0 ? { http_5xx: errors } : {},
    status: {
      ...(requests - errors > 0 && { '200': requests - errors }),
      ...(errors > 0 && { '503': errors }),
    },
    latency: encodeHistogram(latency),
    latencyFromSend: encodeHistogram(fromSend),
    sendLag: encodeHistogram(sendLag),
  }
}

/** Writes a run folder holding only series.ndjson (as after kill -9 before the summary); returns it. */
export function writeRunFolder(parent: string, name: string, text: string): string {
  const dir = join(parent, name)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'series.ndjson'), text)
  return dir
}

/** A staging-2022-like collapse: latency climbs as the backlog grows, then timeouts and drops. */
export const collapsingLatency = (endpoint: string, t: number, random: () => number) =>
  fastLatency(endpoint, t, random) * 100 + Math.max(0, t - 10) * 450 * (0.8 + 0.4 * random())

/**
 * The run of docs/report-screenshot.png: 3 minutes ramping 0.2x -> 1x over 30 s against the fast
 * stand-in, with a 20-second slowdown (a GC-like pause downstream) that shows in the charts.
 */
export function screenshotRun(): SyntheticRun {
  const slow = (t: number) => t >= 95 && t < 115
  return synthesizeRun({
    seconds: 180,
    seed: 2026,
    runId: '2026-11-26T22-00-00Z-ab12',
    share: (t) => (t < 30 ? 0.2 + (0.8 * (t + 1)) / 30 : 1),
    latencyMs: (endpoint, t, random) => fastLatency(endpoint, t, random) * (slow(t) ? 6 + 4 * random() : 1),
    errorRate: (_endpoint, t) => (slow(t) ? 0.004 : 0.0002),
    config: runConfigSchema.parse({
      stages: [
        { durationMs: 30_000, target: 1 },
        { durationMs: 150_000, target: 1 },
      ],
      seed: 2026,
      thresholds: [
        { metric: 'http_req_duration{endpoint:post_session}', conditions: ['p(95)<50', 'p(99)<100'] },
      ],
    }),
  })
}
