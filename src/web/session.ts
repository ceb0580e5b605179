import type { ThresholdSpec } from '../config/thresholds.js'
import type { SeriesControl, SeriesHeader, SeriesSecond } from '../model/results.js'
import type { DecodedSecond } from '../report/index.js'
import type { LiveFinal, LiveStep } from './feed-types.js'
import { LiveFeed, type LiveSource } from './live-feed.js'
import { startWebServer, type WebServer } from './server.js'
import { type SteerableLoad, Steering } from './steering.js'

export interface LiveSessionOptions {
  readonly kind: 'run' | 'capacity'
  readonly host: string
  readonly port: number
  /** how long the page stays up after the run, with the final report */
  readonly lingerMs: number
  readonly thresholds: readonly ThresholdSpec[]
  readonly plannedS: number | null
  /** the highest user scale (userScaleLimit); null with --no-limits */
  readonly maxScale: number | null
  /** false: the page offers stop only (capacity) */
  readonly steerable: boolean
  readonly limitHint?: string
  /**
   * Each change, once applied to the load: the run records it (series.ndjson line, the
   * accumulator's marker, the Prometheus gauge). Called before the page hears of it.
   */
  onChange?(change: SeriesControl): void
  /** default: a new random token */
  readonly token?: string
}

/**
 * A run's live page from start to linger: the feed, the steering desk and the server, and the
 * hooks a run calls (header, seconds, steps, end). `run --web` and `capacity --web` use one each.
 */
export class LiveSession {
  private lingerCut: (() => void) | undefined
  private lingerCutEarly = false

  private constructor(
    readonly feed: LiveFeed,
    readonly steering: Steering,
    readonly server: WebServer,
    private readonly lingerMs: number,
  ) {}

  static async start(options: LiveSessionOptions): Promise<LiveSession> {
    const steering = new Steering({
      maxScale: options.maxScale,
      steerable: options.steerable,
      ...(options.limitHint !== undefined && { limitHint: options.limitHint }),
    })
    const feed = new LiveFeed({
      kind: options.kind,
      thresholds: options.thresholds,
      plannedS: options.plannedS,
      control: () => steering.state(),
    })
    steering.onChange((change) => {
      options.onChange?.(change)
      feed.onControl(change)
    })
    const server = await startWebServer({
      host: options.host,
      port: options.port,
      feed,
      control: steering,
      ...(options.token !== undefined && { token: options.token }),
    })
    return new LiveSession(feed, steering, server, options.lingerMs)
  }

  get pageUrl(): string {
    return this.server.pageUrl
  }

  /** The run's time zero: the page shows it, and from now on the load can be steered. */
  onHeader(header: SeriesHeader, load: SteerableLoad, source?: LiveSource): void {
    this.feed.onHeader(header, source)
    this.steering.start(load, header.startedAtMs)
  }

  /** A folded second (with a shared accumulator: after it took the second in). */
  onSecond(second: SeriesSecond, decoded?: DecodedSecond): void {
    this.feed.onSecond(second, decoded)
  }

  onStep(step: LiveStep): void {
    this.feed.onStep(step)
  }

  /**
   * The run is over: no more steering, the page shows the verdict and links the final report;
   * resolves after the linger (or at once when cutLinger() is called), with the server closed.
   */
  async finish(final: LiveFinal, reportHtml?: string): Promise<void> {
    this.steering.end()
    this.feed.onEnd(final, reportHtml)
    if (this.lingerMs > 0 && !this.lingerCutEarly) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.lingerMs)
        this.lingerCut = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
    await this.server.close()
  }

  /** Ends the linger now (a Ctrl-C while the page lingers). */
  cutLinger(): void {
    this.lingerCutEarly = true
    this.lingerCut?.()
  }

  /** Closes at once (the run failed before its end). */
  async close(): Promise<void> {
    this.steering.end()
    await this.server.close()
  }
}
