/**
 * The 2022 result, explained (issue 16 item 5): the time-scaled staging-2022 twin (24 workers,
 * delays x 0.1: the same share of the profile saturates it as 240 Puma threads with the real
 * delays) driven by `run` itself, at 0.5x and 1x, with browser visits (the default) and with
 * --per-endpoint. Mean busy workers come from the stand-in's /metrics
 * (checkin_mock_pool_busy_seconds_total over the hold), beside Little's law's prediction.
 *
 *   npx tsc -p . && node dist/bench/twin-2022.js [--hold 20]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { runCommand } from '../src/commands/run.js'
import { resolveRunConfig } from '../src/config/load.js'
import { startMockProcess } from '../src/mock/process.js'
import { PRESETS } from '../src/model/downstream.js'
import { predictWorkers, resolveProfile } from '../src/profile/index.js'

const { values } = parseArgs({ options: { hold: { type: 'string', default: '20' } } })
const HOLD_S = Number(values.hold)
if (!(HOLD_S >= 10 && HOLD_S <= 300)) throw new Error('--hold must be from 10 to 300 s')
const WORKERS = 24
const TIME_SCALE = 0.1
/** the window measured: after the first 5 s (visits settle), to the end of the hold */
const SKIP_S = 5

async function busySecondsTotal(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith('checkin_mock_pool_busy_seconds_total'))
  return Number(line?.split(' ').at(-1) ?? Number.NaN)
}

const out = mkdtempSync(join(tmpdir(), 'checkin-load-twin-'))
const rows: string[] = []
try {
  for (const perEndpoint of [false, true]) {
    const profile = resolveProfile('vets-api-checkin', {}, { traffic: 'browser', perEndpoint })
    const predicted = predictWorkers(profile, PRESETS['staging-2022'], 240).busyAt1x
    for (const share of [0.5, 1]) {
      const mock = await startMockProcess({
        preset: 'staging-2022',
        timeScale: TIME_SCALE,
        workers: WORKERS,
        seed: 1,
      })
      try {
        const config = resolveRunConfig({
          flags: {
            target: mock.url,
            perEndpoint,
            stages: [{ durationMs: HOLD_S * 1000, target: share }],
            startShare: share,
            arrival: 'poisson',
            timeoutMs: 10_000,
            out,
            quiet: true,
            seed: 5,
            defaultSlos: false,
          },
        })
        let busyAtSkip = Number.NaN
        const skip = setTimeout(async () => {
          busyAtSkip = await busySecondsTotal(mock.url)
        }, SKIP_S * 1000)
        let busyAtEnd = Number.NaN
        let measuredAtEndMs = 0
        const startMs = Date.now()
        const end = setTimeout(
          async () => {
            busyAtEnd = await busySecondsTotal(mock.url)
            measuredAtEndMs = Date.now()
          },
          (HOLD_S - 0.5) * 1000,
        )
        const outcome = await runCommand(config, { warmUp: false, handleSignals: false })
        clearTimeout(skip)
        clearTimeout(end)
        const windowS = (measuredAtEndMs - startMs) / 1000 - SKIP_S
        const busy = (busyAtEnd - busyAtSkip) / windowS
        const t = outcome.summary.total
        rows.push(
          `| ${perEndpoint ? 'per endpoint' : 'visits (default)'} | ${share}x | ${(((predicted * share) / 240) * 100).toFixed(1)} % | ` +
            `${((busy / WORKERS) * 100).toFixed(1)} % | ${t.requests} | ${t.latencyMs.p95.toFixed(0)} ms | ${(outcome.summary.generator.sendLagMsP99 ?? 0).toFixed(1)} ms |`,
        )
        console.error(rows.at(-1))
      } finally {
        await mock.stop()
      }
    }
  }
  console.log(
    '| traffic | share | busy predicted (of 240) | busy measured (of 24, delays x0.1) | API requests | p95 | send lag p99 |',
  )
  console.log('|---|---|--:|--:|--:|--:|--:|')
  for (const row of rows) console.log(row)
} finally {
  rmSync(out, { recursive: true, force: true })
}
