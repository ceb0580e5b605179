import type { Command } from 'commander'
import type { CapacityFile, CapacityStep } from '../capacity/index.js'
import type { CapacityFlags, CapacityStarted } from '../commands/capacity.js'
import { parseThreshold, thresholdEntry } from '../config/thresholds.js'
import { UsageError } from '../errors.js'
import { notApplicable } from './applicable.js'
import { lingerWithPage } from './linger.js'
import { durationOption, listOption, numberOption } from './options.js'
import { addRunFlags, runConfigFromCommand } from './run-flags.js'
import { bold, formatNumber, green, red } from './table.js'

/**
 * `checkin-load capacity`: flags -> RunConfig + search settings -> runCapacityCommand(); one line
 * per step as it completes, then the verdict and where the results are. Exit code 0 when 1x of the
 * profile held, 99 when it did not (or could not be shown to), 2 bad usage, 1 internal error.
 */

/** Run flags that a capacity search makes for itself, or cannot use: hidden and refused (applicable.ts). */
const NOT_FOR_CAPACITY: Readonly<Record<string, string>> = {
  duration: 'the search holds each step for --step-duration',
  stages: 'the search makes its own steps',
  workers: 'the search runs in one process; drop it',
  shard: 'the search is not sharded; drop it',
  startAt: 'the search starts at once; drop it',
  prometheusPort: 'steps are not exported live; drop it',
  prometheusHost: 'steps are not exported live; drop it',
  prometheusLinger: 'steps are not exported live; drop it',
  dogstatsd: 'steps are not exported live; drop it',
  tag: 'steps are not exported live; drop it',
  baseline: 'capacity.json and capacity.html are its results; compare runs with `compare`',
  junit: 'capacity.json and capacity.html are its results; drop it',
  markdown: 'capacity.json and capacity.html are its results; drop it',
}

const MOCK_FLAGS: Readonly<Record<string, string>> = {
  mockPreset: '--mock-preset',
  mockTimeScale: '--mock-time-scale',
  mockWorkers: '--mock-workers',
}

interface CapacityOptions {
  slo?: string[]
  start?: number
  factor?: number
  precision?: number
  maxScale?: number
  minScale?: number
  stepDuration?: number
  warmup?: number
  maxDuration?: number
  coolDown?: number
  target?: string
  quiet?: boolean
}

export function registerCapacityCommand(program: Command): void {
  const command = program
    .command('capacity')
    .description(
      'ramp the load up until the SLOs break and report how much the target holds (capacity search)',
    )
  notApplicable(addRunFlags(command), NOT_FOR_CAPACITY)
    .addOption(
      listOption(
        '--slo <expr>',
        "SLO a step must hold, k6 syntax, e.g. 'http_req_duration{endpoint:post_session}: p(95)<500' (repeatable; added to the built-in set unless --no-default-slos)",
      ),
    )
    .addOption(
      numberOption('--start <x>', 'first share of the profile (default 0.1)', { min: 0, exclusiveMin: true }),
    )
    .addOption(
      numberOption('--factor <x>', 'multiply the share by this while steps hold (default 1.5)', {
        min: 1,
        exclusiveMin: true,
      }),
    )
    .addOption(
      numberOption(
        '--precision <f>',
        'bisect until held and failed shares are this close, relative (default 0.05)',
        {
          min: 0.005,
          max: 0.99,
        },
      ),
    )
    .addOption(
      numberOption('--max-scale <x>', 'highest share tried (default 10)', { min: 0, exclusiveMin: true }),
    )
    .addOption(
      numberOption('--min-scale <x>', 'lowest share tried when the first steps fail (default start / 10)', {
        min: 0,
        exclusiveMin: true,
      }),
    )
    .addOption(durationOption('--step-duration <d>', 'judged part of each step (default 30s; whole seconds)'))
    .addOption(
      durationOption('--warmup <d>', 'unjudged start of each step (default a fifth of --step-duration)'),
    )
    .addOption(durationOption('--max-duration <d>', 'time limit of the whole search (default 30m)'))
    .addOption(
      durationOption(
        '--cool-down <d>',
        'rest between steps against a --target (default 5s); the embedded stand-in rests until its pool is idle',
      ),
    )
    .addHelpText(
      'after',
      `
Each step is a fresh engine run holding one share of the profile: a warm-up (not judged), then
--step-duration judged against the SLOs. The share grows x--factor while steps hold; after the
first failure it is bisected between the highest share that held and the lowest that failed. A
step whose failure the generator's own delay could explain (or where the generator used a whole
core) ends the search: that is the generator's limit, not the target's.

Steps use constant arrivals (each delivers exactly its share) unless --arrival poisson.
Without --target the embedded stand-in is started. With --mock-time-scale F its delays are x F and
the search sends the profile's rates / F (Little's law keeps the busy workers, so the knee stays at
the same share of the real profile) and judges latency bounds x F. See docs/capacity.md.

Results: <out>/<run-id>/capacity.json, capacity.html, steps/NN/series.ndjson.
Exit codes: 0 the profile's 1x held, 99 it did not (or could not be shown to), 2 bad flag or config.

Examples:
  checkin-load capacity --mock-preset staging-2022 --mock-time-scale 0.1 --step-duration 10s
  checkin-load capacity --mock-preset staging-2022 --mock-time-scale 0.1 --mock-workers 480
  checkin-load capacity --target http://127.0.0.1:3000 --slo 'http_req_duration: p(95)<500' --start 0.5`,
    )
    .action(async (_flags: unknown, cmd: Command) => {
      const opts = cmd.opts<CapacityOptions>()
      const given = (key: string) => cmd.getOptionValueSource(key) === 'cli'
      if (opts.target !== undefined) {
        for (const [key, text] of Object.entries(MOCK_FLAGS)) {
          if (given(key)) throw new UsageError(`${text} is for the embedded stand-in: drop it or --target`)
        }
      }
      const config = runConfigFromCommand(cmd)
      const flags: CapacityFlags = {
        ...(opts.start !== undefined && { start: opts.start }),
        ...(opts.factor !== undefined && { factor: opts.factor }),
        ...(opts.precision !== undefined && { precision: opts.precision }),
        ...(opts.maxScale !== undefined && { maxScale: opts.maxScale }),
        ...(opts.minScale !== undefined && { minScale: opts.minScale }),
        ...(opts.stepDuration !== undefined && { stepDurationMs: opts.stepDuration }),
        ...(opts.warmup !== undefined && { warmupMs: opts.warmup }),
        ...(opts.maxDuration !== undefined && { maxDurationMs: opts.maxDuration }),
        ...(opts.coolDown !== undefined && { coolDownMs: opts.coolDown }),
        ...(given('arrival') && { arrival: config.arrival }),
        ...(opts.slo && {
          slos: opts.slo.map((text) => {
            parseThreshold(text, '--slo') // refuses a bad one here, naming the flag
            return thresholdEntry(text, '--slo')
          }),
        }),
      }
      const { runCapacityCommand } = await import('../commands/capacity.js')
      const out = process.stdout
      const quiet = opts.quiet === true
      const outcome = await runCapacityCommand(config, flags, {
        onStart: (info) => {
          if (info.web) process.stderr.write(`Live page: ${info.web}\n`)
          if (!quiet) out.write(`${startText(info)}\n${STEP_HEADER}\n`)
        },
        onStep: (step) => {
          if (!quiet) out.write(`${stepLine(step)}\n`)
        },
      })
      out.write(`\n${verdictText(outcome.file)}\n`)
      out.write(`\nResults: ${outcome.files.json}\nReport:  ${outcome.files.report}\n`)
      process.exitCode = outcome.exitCode
      await lingerWithPage(outcome.page)
    })
}

const fmt = (x: number, decimals = 1) => formatNumber(x, decimals)
const fmtMs = (x: number) => formatNumber(x, x < 10 ? 2 : x < 1000 ? 1 : 0)

export function startText(info: CapacityStarted): string {
  const lines: string[] = []
  const e = info.embedded
  lines.push(
    `${bold('checkin-load capacity')} ${info.runId} -> ${info.target}` +
      (e
        ? ` (embedded stand-in: ${e.preset}, ${e.workers} workers${e.timeScale !== 1 ? `, time scale ${e.timeScale}` : ''})`
        : ''),
  )
  const p = info.profile
  lines.push(
    `Profile ${p.name}${p.scale !== 1 ? ` x${p.scale}` : ''}: 1x = ${fmt(p.totalRps, 2)} req/s (${fmt(p.totalRpm, 0)} rpm)`,
  )
  if (p.timeScale !== 1) {
    lines.push(
      `Time scaling: the stand-in's delays x${p.timeScale}, so each share is sent at x${fmt(1 / p.timeScale, 3)} the profile's rates ` +
        `(Little's law: same busy workers); shares are of the real profile, rates and latencies below are the twin's.`,
    )
  }
  if (info.prediction) {
    lines.push(
      `Little's law (${info.prediction.preset} delays, ${info.prediction.workers} workers): ${fmt(info.prediction.busyWorkersAt1x, 1)} busy at 1x, the pool saturates at ${fmt(info.prediction.saturationShare, 3)}x`,
    )
  }
  const s = info.settings
  lines.push(
    `Steps: ${s.warmupS}s warm-up + ${s.stepDurationS}s judged; from ${s.start}x, x${s.factor} while it holds, then bisect to ${fmt(s.precision * 100, 2)}%; ` +
      `${s.minScale}x..${s.maxScale}x, at most ${fmt(s.maxDurationS / 60, 1)} min; rest: ${s.coolDown}`,
  )
  const scaled = info.slos.some((x) => x.expr !== x.judgedExpr)
  lines.push(
    `SLOs: ${info.slos.map((x) => `${x.metric}: ${x.judgedExpr}`).join(', ')}${scaled ? ` (latency bounds x${p.timeScale} for the twin)` : ''}`,
  )
  return `${lines.join('\n')}\n`
}

const COLUMNS: readonly [string, number][] = [
  ['step', 4],
  ['share', 8],
  ['phase', 7],
  ['intended/s', 10],
  ['achieved/s', 10],
  ['p50 ms', 8],
  ['p95 ms', 8],
  ['p99 ms', 8],
  ['errors', 7],
  ['dropped', 7],
  ['lag ms', 7],
]

export const STEP_HEADER = `${COLUMNS.map(([name, w], i) => (i === 2 ? name.padEnd(w) : name.padStart(w))).join('  ')}  result\n${COLUMNS.map(([, w]) => '-'.repeat(w)).join('  ')}  ------`

export function stepLine(s: CapacityStep): string {
  const cells = [
    String(s.index),
    `${s.share}x`,
    s.phase,
    fmt(s.expectedRps),
    fmt(s.achievedRps),
    fmtMs(s.latencyMs.p50),
    fmtMs(s.latencyMs.p95),
    fmtMs(s.latencyMs.p99),
    fmt(s.errors, 0),
    fmt(s.dropped, 0),
    fmtMs(s.generator.eventLoopLagMsP99),
  ]
  const row = cells
    .map((c, i) => (i === 2 ? c.padEnd(COLUMNS[i]![1]) : c.padStart(COLUMNS[i]![1])))
    .join('  ')
  let result: string
  if (s.result === 'pass') result = green('held')
  else if (s.result === 'fail') {
    const f = s.failures[0]
    result = red(
      `FAILED: ${f ? `${f.metric} ${f.expr} (${f.value === null ? 'no data' : fmt(f.value, 3)})` : ''}`,
    )
    if (s.failures.length > 1) result += ` +${s.failures.length - 1} more`
  } else if (s.result === 'untrusted') result = red('GENERATOR-LIMITED: see the verdict')
  else result = 'interrupted'
  return `${row}  ${result}`
}

export function verdictText(file: CapacityFile): string {
  const v = file.verdict
  const lines = [bold(v.message)]
  if (v.held) {
    const per = Object.entries(v.held.endpoints)
      .map(([id, e]) => `${id} ${fmt(e.rpm, 0)}`)
      .join(', ')
    lines.push(
      `  held ${v.held.share}x: ${fmt(v.held.totalRps, 2)} req/s, ${fmt(v.held.totalRpm, 0)} rpm (per endpoint, rpm: ${per})`,
    )
  }
  if (v.failed?.brokeFirst) {
    const f = v.failed.brokeFirst
    lines.push(
      `  first failed ${v.failed.share}x: ${f.metric} ${f.expr} broke first${f.endpoint ? ` (endpoint ${f.endpoint})` : ''}` +
        (v.failed.failures.length > 1
          ? `; also ${v.failed.failures
              .slice(1)
              .map((x) => `${x.metric} ${x.expr}`)
              .join(', ')}`
          : ''),
    )
  }
  if (file.prediction && (v.held || v.failed)) {
    lines.push(
      `  Little's law predicted ${fmt(file.prediction.saturationShare, 3)}x; measured: held ${v.held ? `${v.held.share}x` : '-'}, failed ${v.failed ? `${v.failed.share}x` : '-'}`,
    )
  }
  lines.push(
    v.oneXHeld
      ? green('1x of the profile held.')
      : red('1x of the profile did not hold (or could not be shown to).'),
  )
  return lines.join('\n')
}
