import { readFile } from 'node:fs/promises'
import type { CapacityFile, CapacityStep, Phase } from '../capacity/index.js'
import type { RunConfig } from '../config/schema.js'
import type { RunObserver } from '../metrics/index.js'
import { SCHEMA_VERSION, type SeriesHeader } from '../model/results.js'
import type { LiveSession } from '../web/index.js'
import { type ShownPage, startLive } from './run-web.js'

/**
 * `capacity --web`: the search's live page. Each step is a session of its own (its seconds count
 * from its own start); the page shows them on one time line from the first step's start, and the
 * steps as they start and as they are judged. The search sets the share itself: the page offers
 * stop only.
 */
export interface CapacityPage {
  readonly url: string
  /** the observer of one step's session */
  observeStep(step: { readonly index: number; readonly share: number }): RunObserver
  onStepStart(step: { readonly index: number; readonly share: number; readonly phase: Phase }): void
  onStep(step: CapacityStep): void
  /** the search is over: its verdict and capacity.html, for the linger */
  finish(file: CapacityFile, reportPath: string): ShownPage
  close(): Promise<void>
}

export async function startCapacityPage(
  config: RunConfig,
  run: { readonly runId: string; readonly target: string; readonly endpoints: readonly string[] },
  stop: () => void,
): Promise<CapacityPage> {
  const live: LiveSession = await startLive({
    kind: 'capacity',
    host: config.webHost,
    port: config.webPort,
    lingerMs: config.webLingerMs,
    // each step is judged on its own (the steps table); thresholds over the whole search would mix shares
    thresholds: [],
    plannedS: null,
    maxScale: null,
    steerable: false,
  })
  let t0: number | undefined
  /** the last second shown: a step's seconds come after the previous step's, even its partial last one */
  let lastT = -1
  return {
    url: live.pageUrl,
    observeStep() {
      let offsetS = 0
      return {
        onHeader(header) {
          if (t0 === undefined) {
            t0 = header.startedAtMs
            const searchHeader: SeriesHeader = {
              type: 'header',
              schemaVersion: SCHEMA_VERSION,
              runId: run.runId,
              target: run.target,
              startedAt: header.startedAt,
              startedAtMs: t0,
              config: {},
              profile: {},
              endpoints: [...run.endpoints],
            }
            live.onHeader(searchHeader, { setUserScale: () => {}, stop })
          }
          offsetS = Math.max(Math.round((header.startedAtMs - t0) / 1000), lastT + 1)
        },
        onSecond(second) {
          lastT = second.t + offsetS
          live.onSecond({ ...second, t: lastT })
        },
      }
    },
    onStepStart(step) {
      live.onStep({
        index: step.index,
        share: step.share,
        askedRps: 0,
        achievedRps: 0,
        p95Ms: null,
        errorRate: 0,
        held: null,
        notes: [step.phase],
      })
    },
    onStep(step) {
      live.onStep({
        index: step.index,
        share: step.share,
        askedRps: step.askedRps,
        achievedRps: step.achievedRps,
        p95Ms: step.latencyMs.p95,
        errorRate: step.requests > 0 ? step.errors / step.requests : 0,
        held: step.result === 'interrupted' ? null : step.result === 'pass',
        notes:
          step.result === 'interrupted'
            ? ['interrupted']
            : [
                ...step.failures.map((f) => `${f.metric} ${f.expr}`),
                ...(step.result === 'untrusted' ? ['the generator may have decided it'] : []),
              ],
      })
    },
    finish(file, reportPath) {
      const lingering = (async () => {
        const html = await readFile(reportPath, 'utf8').catch(() => undefined)
        await live.finish(
          {
            passed: file.verdict.oneXHeld,
            endReason: file.verdict.kind,
            thresholds: [],
            note: file.verdict.message,
          },
          html,
        )
      })()
      return { url: live.pageUrl, lingering, leave: () => live.cutLinger() }
    },
    close: () => live.close(),
  }
}
