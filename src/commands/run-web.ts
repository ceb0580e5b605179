import { readFile } from 'node:fs/promises'
import type { RunConfig } from '../config/schema.js'
import type { ThresholdSpec } from '../config/thresholds.js'
import { Engine } from '../engine/index.js'
import { UsageError } from '../errors.js'
import type { LiveExporter, RunObserver, SeriesWriter } from '../metrics/index.js'
import type { SeriesControl, SeriesHeader, Summary } from '../model/results.js'
import type { LoadSource, Session } from '../session/index.js'
import { LiveSession, userScaleLimit } from '../web/index.js'

/**
 * `run --web`: the run's live page (src/web) wired to its session. The page reads the session's
 * own summary and chart (no second accumulation), steers its load source, and every change it
 * makes is recorded where the run's results are: a series.ndjson line, a marker on the chart,
 * summary.json's `controls`, and the Prometheus gauge.
 */
export interface RunPage {
  readonly url: string
  /** add to the session's observers: the header is the page's time zero, then each second */
  readonly observers: readonly RunObserver[]
  /** the summary with the changes made (absent when none) */
  withControls(summary: Summary): Summary
  /** the run is over: the page shows the verdict and the final report (none when it could not be written), for the linger */
  finish(summary: Summary, reportPath: string | undefined): ShownPage
  close(): Promise<void>
}

/** A page showing a finished run until `lingering` resolves; leave() cuts it short. */
export interface ShownPage {
  readonly url: string
  readonly lingering: Promise<void>
  leave(): void
}

/** The summary with the page's changes, when there is a page. */
export function withControls(page: RunPage | undefined, summary: Summary): Summary {
  return page ? page.withControls(summary) : summary
}

export interface RunPagePlan {
  readonly config: RunConfig
  readonly thresholds: readonly ThresholdSpec[]
  readonly plannedMs: number
  /** the load at share 1 (x --scale) */
  readonly derived: { readonly totalRps: number }
  readonly series: SeriesWriter
}

/** The user scale from a wall-clock time when given (a worker is sent one), else from now. */
export function steer(load: LoadSource, scale: number, atEpochMs?: number): void {
  if (atEpochMs !== undefined && load instanceof Engine) load.setUserScaleAtEpoch(scale, atEpochMs)
  else load.setUserScale(scale)
}

/**
 * The page, when the run asks for one (--web): started before the load, so that its address is
 * printed at the start. When the run ends it shows the verdict and the final report while it
 * lingers; the caller (the CLI) may wait for that.
 */
export async function startRunPage(
  plan: RunPagePlan,
  run: {
    /** the run's session (asked for once it exists: at its header) */
    readonly session: () => Session
    readonly exporters: () => readonly LiveExporter[]
  },
  warn: (message: string) => void,
): Promise<RunPage | undefined> {
  const { config } = plan
  if (!config.web) return undefined
  const controls: SeriesControl[] = []
  // the bound: the stages' peak at user scale 1 under the rate cap
  const peakShare = Math.max(config.startShare, ...config.stages.map((s) => s.target))
  const live = await startLive(
    {
      kind: 'run',
      host: config.webHost,
      port: config.webPort,
      lingerMs: config.webLingerMs,
      thresholds: plan.thresholds,
      plannedS: plan.plannedMs / 1000,
      maxScale: userScaleLimit(plan.derived.totalRps * peakShare, config.noLimits),
      steerable: true,
      limitHint: 'the 20,000 req/s cap at the stages’ peak; --no-limits lifts it',
      onChange(change) {
        controls.push(change)
        try {
          plan.series.onControl(change)
        } catch (error) {
          warn(`recording a control change in ${plan.series.path} failed: ${(error as Error).message}`)
        }
        run.session().pipeline.chart?.addMarker(change)
        const scale = change.action === 'stop' ? change.from : change.to
        for (const exporter of run.exporters()) exporter.onUserScale?.(scale)
      },
    },
    warn,
  )
  return {
    url: live.pageUrl,
    observers: [
      {
        onHeader(header: SeriesHeader) {
          const s = run.session()
          live.onHeader(
            header,
            // a stop from the page ends the run as a first Ctrl-C does: interrupted, flows finish
            { setUserScale: (scale) => s.engine.setUserScale(scale), stop: () => s.end('interrupted') },
            s.pipeline.summary && s.pipeline.chart
              ? { header, summary: s.pipeline.summary, chart: s.pipeline.chart }
              : undefined,
          )
        },
        // told after the session's summary and chart took the second in
        onSecond: (second) => live.onSecond(second),
      },
    ],
    withControls(summary) {
      return controls.length === 0
        ? summary
        : { ...summary, controls: controls.map(({ type: _, ...c }) => c) }
    },
    finish(summary, reportPath) {
      const lingering = (async () => {
        const html =
          reportPath === undefined ? undefined : await readFile(reportPath, 'utf8').catch(() => undefined)
        await live.finish(
          { passed: summary.passed, endReason: summary.endReason, thresholds: summary.thresholds },
          html,
        )
      })()
      return { url: live.pageUrl, lingering, leave: () => live.cutLinger() }
    },
    close: () => live.close(),
  }
}

/** The live session, or a clear usage error when its port cannot be had. */
export async function startLive(
  options: Parameters<typeof LiveSession.start>[0],
  warn?: (message: string) => void,
): Promise<LiveSession> {
  if (!isLoopback(options.host))
    warn?.(
      `the live page listens on ${options.host}: whoever reaches it and holds the token can steer the load (an SSH tunnel to 127.0.0.1 keeps it on this machine)`,
    )
  try {
    return await LiveSession.start(options)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL')
      throw new UsageError(
        `the live page cannot listen on ${options.host}:${options.port} (${code}): choose another --web-port (0 takes a free one) or --web-host`,
        'CL_WEB_PORT',
      )
    throw error
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
}
