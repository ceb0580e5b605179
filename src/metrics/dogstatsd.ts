import StatsDClient, { type StatsD } from 'hot-shots'
import { UsageError } from '../errors.js'
import type { SeriesSecond, Shard, ThresholdResult } from '../model/results.js'
import type { ExporterFlow, LiveExporter, SecondContext } from './exporter-types.js'
import { recordedValues, requestsByStatus } from './second-view.js'

/**
 * DogStatsD for Datadog (DESIGN.md §5): the Prometheus names with `.` separators, labels as tags,
 * sent over UDP with hot-shots to an agent. Once a second, never per request:
 *   checkin_load.requests            count  endpoint, method, status, flow
 *   checkin_load.errors              count  endpoint, method, kind, flow
 *   checkin_load.dropped             count  endpoint, flow
 *   checkin_load.in_flight           gauge
 *   checkin_load.asked_rps           gauge  endpoint
 *   checkin_load.achieved_rps        gauge  endpoint
 *   checkin_load.share               gauge
 *   checkin_load.event_loop_lag_p99  gauge  (ms)
 *   checkin_load.cpu                 gauge  (% of one core)
 *   checkin_load.rss                 gauge  (bytes)
 *   checkin_load.threshold_ok        gauge  threshold (1 ok, 0 failing)
 *   checkin_load.request_duration    distribution (ms, from the intended send time)  endpoint, method, flow
 * and on every metric run_id, shard and the run's `--tag`s.
 *
 * The latency distribution carries the second's HDR histogram, never one sample per request: the
 * values are merged into buckets of 1 % relative width (the accuracy of Datadog's own DDSketch),
 * then sent as multi-value lines (DogStatsD protocol 1.1, Datadog Agent >= 6.25 / 7.25), one line
 * per distinct count with a sample rate of 1/count: `checkin_load.request_duration:12.3:15.8|d|@0.25`
 * is four samples of 12.3 ms and four of 15.8 ms, since the agent inserts trunc(1/rate) samples of
 * each value into its sketch. A second costs a few lines per endpoint whatever the request rate.
 */

/** Relative accuracy of the latency values sent (Datadog's DDSketch keeps about 1 % too). */
export const DISTRIBUTION_RELATIVE_ACCURACY = 0.01
/** UDP payloads up to this size (Datadog's recommendation for UDP: no fragmentation). */
export const DEFAULT_MAX_BUFFER_BYTES = 1432

export interface DogStatsdOptions {
  /** HOST:PORT of the agent (IPv6 as [::1]:8125) */
  readonly address: string
  readonly runId: string
  readonly shard?: Shard | undefined
  /** global tags, "key:value" */
  readonly tags?: readonly string[]
  readonly endpoints: readonly string[]
  readonly methods: Readonly<Record<string, string>>
  readonly flows?: readonly ExporterFlow[] | undefined
  readonly maxBufferBytes?: number
  /** called for the first send error only (then counted in `errors`) */
  readonly onError?: (error: Error) => void
}

/** Parses --dogstatsd HOST:PORT; a bad value is a usage error. */
export function parseDogStatsdAddress(text: string): { host: string; port: number } {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text.trim())
  const port = match ? Number(match[3]) : Number.NaN
  if (!match || port < 1 || port > 65_535)
    throw new UsageError(
      `--dogstatsd "${text}": expected HOST:PORT of a DogStatsD agent, like 127.0.0.1:8125`,
    )
  return { host: (match[1] ?? match[2])!, port }
}

/** A tag value Datadog accepts: no `,` `|` `#` or line breaks. */
export function tagValue(value: string): string {
  return value.replace(/[,|#\s]/g, '_')
}

/**
 * The sample rate that makes the agent count `count` samples: it computes trunc(1 / rate), so the
 * rate is 1/count nudged down until that holds for the exact text sent (1/93 would give 92.99…).
 */
export function sampleRateFor(count: number): string {
  let rate = 1 / count
  let text = String(rate)
  while (Math.trunc(1 / Number(text)) < count) {
    rate = nextDown(rate)
    text = String(rate)
  }
  return text
}

const scratch = new DataView(new ArrayBuffer(8))
function nextDown(x: number): number {
  scratch.setFloat64(0, x)
  scratch.setBigUint64(0, scratch.getBigUint64(0) - 1n)
  return scratch.getFloat64(0)
}

const GAMMA = (1 + DISTRIBUTION_RELATIVE_ACCURACY) / (1 - DISTRIBUTION_RELATIVE_ACCURACY)
const LOG_GAMMA = Math.log(GAMMA)

/** The 1 % bucket of a value (ms > 0), DDSketch's logarithmic mapping. */
export function distributionKey(ms: number): number {
  return Math.ceil(Math.log(ms) / LOG_GAMMA)
}

/** The value that stands for a bucket: within 1 % of every value in it (5 significant digits). */
export function distributionValue(key: number): string {
  return String(Number(((2 * GAMMA ** key) / (GAMMA + 1)).toPrecision(5)))
}

/** The raw send of hot-shots (not in its typings): a built line, tags appended by the client. */
interface RawSend {
  send(message: string, tags?: string[]): void
}

interface EndpointTags {
  readonly id: string
  readonly method: string
  readonly base: string[]
  readonly withMethod: string[]
  readonly byStatus: Map<string, string[]>
  readonly byKind: Map<string, string[]>
}

export class DogStatsdExporter implements LiveExporter {
  readonly name = 'dogstatsd'
  readonly url: string
  /** send errors so far (UDP: the agent not reachable, buffer full…) */
  errors = 0
  private readonly client: StatsD
  private readonly raw: RawSend
  private readonly endpoints = new Map<string, EndpointTags>()
  private readonly flowOf = new Map<string, string>()
  private readonly methods: Readonly<Record<string, string>>
  private readonly onError: ((error: Error) => void) | undefined
  /** room for the values of one distribution line: the datagram minus name, rate and tags */
  private readonly maxValuesChars: number
  private closing: Promise<void> | undefined

  constructor(options: DogStatsdOptions) {
    const { host, port } = parseDogStatsdAddress(options.address)
    this.url = `udp://${host.includes(':') ? `[${host}]` : host}:${port}`
    this.methods = options.methods
    this.onError = options.onError
    const globalTags = [
      ...(options.tags ?? []).map((t) => {
        const colon = t.indexOf(':')
        return colon < 0 ? tagValue(t) : `${tagValue(t.slice(0, colon))}:${tagValue(t.slice(colon + 1))}`
      }),
      `run_id:${tagValue(options.runId)}`,
      `shard:${options.shard?.index ?? 0}`,
    ]
    this.client = new StatsDClient({
      host,
      port,
      protocol: 'udp',
      ...(host.includes(':') && { udpSocketOptions: { type: 'udp6' } }),
      cacheDns: true,
      globalTags,
      maxBufferSize: options.maxBufferBytes ?? DEFAULT_MAX_BUFFER_BYTES,
      bufferFlushInterval: 1000,
      includeDatadogTelemetry: false,
      errorHandler: (error) => this.failed(error),
    })
    this.raw = this.client as unknown as RawSend
    const tagsChars = globalTags.join(',').length + 200 // + the endpoint's own tags, flow included
    this.maxValuesChars = Math.max(200, (options.maxBufferBytes ?? DEFAULT_MAX_BUFFER_BYTES) - tagsChars - 80)
    // an endpoint's flow is known when exactly one flow of the profile has it
    const flowsOf = new Map<string, Set<string>>()
    for (const flow of options.flows ?? [])
      for (const id of flow.endpoints) flowsOf.set(id, (flowsOf.get(id) ?? new Set()).add(flow.name))
    for (const [id, flows] of flowsOf) if (flows.size === 1) this.flowOf.set(id, [...flows][0]!)
    for (const id of options.endpoints) this.endpointTags(id)
  }

  private failed(error: Error): void {
    this.errors++
    if (this.errors === 1) this.onError?.(error)
  }

  private endpointTags(id: string): EndpointTags {
    let tags = this.endpoints.get(id)
    if (tags === undefined) {
      const flow = this.flowOf.get(id)
      const method = this.methods[id] ?? 'GET'
      const base = [`endpoint:${tagValue(id)}`, ...(flow === undefined ? [] : [`flow:${tagValue(flow)}`])]
      tags = {
        id,
        method,
        base,
        withMethod: [...base, `method:${method}`],
        byStatus: new Map(),
        byKind: new Map(),
      }
      this.endpoints.set(id, tags)
    }
    return tags
  }

  onSecond(second: SeriesSecond, context: SecondContext): void {
    const c = this.client
    try {
      for (const id in second.endpoints) {
        const stats = second.endpoints[id]!
        const tags = this.endpointTags(id)
        for (const [status, count] of requestsByStatus(stats)) {
          let statusTags = tags.byStatus.get(status)
          if (statusTags === undefined) {
            statusTags = [...tags.withMethod, `status:${tagValue(status)}`]
            tags.byStatus.set(status, statusTags)
          }
          c.increment('checkin_load.requests', count, 1, statusTags)
        }
        const errors = stats.errors as Readonly<Record<string, number>>
        for (const kind in errors) {
          const count = errors[kind]!
          if (count <= 0) continue
          let kindTags = tags.byKind.get(kind)
          if (kindTags === undefined) {
            kindTags = [...tags.withMethod, `kind:${kind}`]
            tags.byKind.set(kind, kindTags)
          }
          c.increment('checkin_load.errors', count, 1, kindTags)
        }
        if (stats.dropped > 0) c.increment('checkin_load.dropped', stats.dropped, 1, tags.base)
        c.gauge('checkin_load.asked_rps', context.expectedRps[id] ?? stats.asked, 1, tags.base)
        c.gauge('checkin_load.achieved_rps', stats.requests, 1, tags.base)
        this.sendDistribution('checkin_load.request_duration', stats, tags.withMethod)
      }
      const health = second.generator
      c.gauge('checkin_load.in_flight', health.inFlight, 1)
      c.gauge('checkin_load.share', second.share, 1)
      c.gauge('checkin_load.event_loop_lag_p99', health.eventLoopLagMsP99, 1)
      c.gauge('checkin_load.cpu', health.cpuPct, 1)
      c.gauge('checkin_load.rss', Math.round(health.rssMb * 1_048_576), 1)
      // the second's data leaves now, not at the next flush tick
      c.flush()
    } catch (error) {
      this.failed(error as Error)
    }
  }

  /**
   * The second's latency values as multi-value lines (DogStatsD 1.1): values merged into 1 %
   * buckets, then grouped by count, one `name:v1:v2:…|d|@1/count` line per count (split to fit a
   * datagram), so the tags travel once per line rather than once per value.
   */
  private sendDistribution(name: string, stats: SeriesSecond['endpoints'][string], tags: string[]): void {
    if (stats.latency === '') return
    const { midUs, counts } = recordedValues(stats, 'latency')
    const byCount = this.byCount
    byCount.clear()
    let key = Number.NaN
    let count = 0
    for (let i = 0; i <= midUs.length; i++) {
      const k = i < midUs.length ? distributionKey(midUs[i]! / 1000) : Number.NaN
      if (k !== key) {
        if (count > 0) {
          const values = byCount.get(count)
          const text = this.valueText(key)
          if (values === undefined) byCount.set(count, [text])
          else values.push(text)
        }
        key = k
        count = 0
      }
      if (i < midUs.length) count += counts[i]!
    }
    const room = this.maxValuesChars
    for (const [n, values] of byCount) {
      const suffix = n === 1 ? '|d' : `|d|@${this.rateText(n)}`
      let line = ''
      for (const value of values) {
        if (line.length + value.length + 1 > room) {
          this.raw.send(`${name}:${line}${suffix}`, tags)
          line = ''
        }
        line = line === '' ? value : `${line}:${value}`
      }
      if (line !== '') this.raw.send(`${name}:${line}${suffix}`, tags)
    }
  }

  private readonly byCount = new Map<number, string[]>()
  private readonly valueTexts = new Map<number, string>()
  private readonly rateTexts = new Map<number, string>()

  private valueText(key: number): string {
    let text = this.valueTexts.get(key)
    if (text === undefined) {
      text = distributionValue(key)
      this.valueTexts.set(key, text)
    }
    return text
  }

  private rateText(count: number): string {
    let text = this.rateTexts.get(count)
    if (text === undefined) {
      text = sampleRateFor(count)
      if (this.rateTexts.size < 10_000) this.rateTexts.set(count, text)
    }
    return text
  }

  onThresholds(results: readonly ThresholdResult[]): void {
    try {
      for (const r of results)
        this.client.gauge('checkin_load.threshold_ok', r.ok ? 1 : 0, 1, [
          `threshold:${tagValue(`${r.metric} ${r.expr}`)}`,
        ])
      this.client.flush()
    } catch (error) {
      this.failed(error as Error)
    }
  }

  /** Flushes and closes the socket; idempotent, never rejects. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      try {
        this.client.close((error?: Error) => {
          if (error) this.failed(error)
          resolve()
        })
      } catch (error) {
        this.failed(error as Error)
        resolve()
      }
    })
    return this.closing
  }
}
