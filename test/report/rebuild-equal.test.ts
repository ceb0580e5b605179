import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import fc from 'fast-check'
import { parseThreshold } from '../../src/config/thresholds.js'
import { Recorder } from '../../src/metrics/recorder.js'
import type { EndpointSummary, SeriesEnd, Summary } from '../../src/model/results.js'
import { RunAccumulator } from '../../src/report/accumulator.js'
import type { DecodedInterval, DecodedSecond } from '../../src/report/decoded-second.js'
import { renderMarkdown } from '../../src/report/markdown.js'
import { rebuildSummary, thresholdsOfRun } from '../../src/report/rebuild.js'
import { fuzzParameters } from '../helpers/fuzz.js'
import { seeded, synthesizeRun, writeRunFolder } from './fixtures.js'

/**
 * `report DIR` must give the run's own summary, field for field: the run builds it from the
 * histograms it recorded (exact extremes), the rebuild from series.ndjson (decoded histograms,
 * whose extremes are bucket edges). Random runs go through the engine's real Recorder and the
 * same hand-over as src/commands/run.ts (the recorder's own histograms, not decoded ones).
 */
const parent = mkdtempSync(join(tmpdir(), 'checkin-load-rebuild-equal-'))
const template = synthesizeRun({ seconds: 1, runId: 'equal' })

const EXTRA_THRESHOLDS = [
  parseThreshold('http_req_duration: max<1000, min>0.5, p(99)<2000'),
  parseThreshold('send_lag: max<0.3'),
]

interface RandomRun {
  readonly seconds: number
  readonly seed: number
  /** ms: spans from sub-millisecond to tens of seconds, where buckets are widest */
  readonly scaleMs: number
  readonly failRate: number
}

const randomRun = fc.record({
  seconds: fc.integer({ min: 1, max: 6 }),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  scaleMs: fc.constantFrom(0.3, 3, 40, 900, 12_000),
  failRate: fc.constantFrom(0, 0.05),
})

/** Runs `spec` through a Recorder; returns the live summary (as run.ts builds it) and the series text. */
function liveRun(spec: RandomRun, runId: string): { live: Summary; text: string } {
  const random = seeded(spec.seed)
  const header = { ...template.header, runId }
  const recorder = new Recorder(header.endpoints)
  const accumulator = new RunAccumulator(header)
  const lines: string[] = [JSON.stringify(header)]
  for (let t = 0; t < spec.seconds; t++) {
    for (let e = 0; e < header.endpoints.length; e++) {
      const n = Math.floor(random() * 40)
      for (let i = 0; i < n; i++) {
        const intended = t * 1000 + random() * 1000
        const send = intended + random() * 0.5
        if (random() < 0.02) {
          recorder.dropped(e)
          continue
        }
        recorder.sent(e, intended, send)
        if (random() < spec.failRate) recorder.failed(e, 0)
        else recorder.response(e, 200, -1, intended, send, send + spec.scaleMs * (0.2 + 3 * random() ** 3))
      }
    }
    const folded = recorder.foldSecond(t, 1, { eventLoopLagMsP99: 1, cpuPct: 10, rssMb: 90, inFlight: 0 })
    const endpoints = new Map<string, DecodedInterval>()
    for (const [id, h] of folded.histograms)
      endpoints.set(id, { stats: folded.second.endpoints[id]!, histograms: h })
    const decoded: DecodedSecond = { second: folded.second, endpoints }
    accumulator.add(folded.second, decoded)
    lines.push(JSON.stringify(folded.second))
  }
  const end: SeriesEnd = {
    type: 'end',
    endedAt: new Date(header.startedAtMs + spec.seconds * 1000 - 300).toISOString(),
    reason: 'completed',
    abandonedInFlight: 0,
  }
  lines.push(JSON.stringify(end))
  const thresholds = thresholdsOfRun(header, { thresholds: EXTRA_THRESHOLDS })
  const live = accumulator.summary.build({ endedAt: end.endedAt, endReason: 'completed', thresholds })
  return { live, text: `${lines.join('\n')}\n` }
}

function assertPercentilesWithinExtremes(where: string, s: EndpointSummary['latencyMs']): void {
  for (const p of [s.p50, s.p90, s.p95, s.p99, s.mean]) {
    assert.ok(p >= s.min && p <= s.max, `${where}: ${p} outside [${s.min}, ${s.max}]`)
  }
}

test('report DIR rebuilds the run’s own summary in every field (min and max exact), over random runs', async () => {
  let n = 0
  await fc.assert(
    fc.asyncProperty(randomRun, async (spec) => {
      const runId = `equal-${n++}`
      const { live, text } = liveRun(spec, runId)
      const dir = writeRunFolder(parent, runId, text)
      const rebuilt = await rebuildSummary(dir, { thresholds: EXTRA_THRESHOLDS })
      assert.deepEqual(rebuilt.summary, live)
      for (const [id, e] of [...Object.entries(live.endpoints), ['total', live.total] as const]) {
        assertPercentilesWithinExtremes(`${id} latency`, e.latencyMs)
        assertPercentilesWithinExtremes(`${id} from send`, e.latencyFromSendMs)
        assertPercentilesWithinExtremes(`${id} send lag`, e.sendLagMs)
      }
      // re-judging max<X with X just over the run's own max passes on the rebuild too
      const max = live.total.latencyMs.max
      if (max > 0) {
        const judged = await rebuildSummary(dir, {
          thresholds: [parseThreshold(`http_req_duration: max<${(max + 0.001).toFixed(3)}`)],
          defaultSlos: false,
        })
        assert.equal(judged.summary.passed, true, `max<${max + 0.001} on a run whose max is ${max}`)
      }
      assert.ok(renderMarkdown(rebuilt.summary).length > 0)
    }),
    fuzzParameters(40, 31),
  )
})
