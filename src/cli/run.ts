import type { Command } from 'commander'
import type { RunProgress, RunStarted } from '../commands/run.js'
import { useColor } from './color.js'
import { lingerWithPage } from './linger.js'
import { addRunFlags, runConfigFromCommand } from './run-flags.js'
import { bold, formatNumber, red } from './table.js'

/**
 * `checkin-load run`: flags -> RunConfig -> runCommand(); a live view while it runs, then the
 * end-of-run table and where the results are. Exit code 0 pass, 99 thresholds failed (2 bad
 * usage and 1 internal error come from main()).
 */
export function registerRunCommand(program: Command): void {
  const command = program
    .command('run')
    .description(
      'run the check-in load (open model): flows arrive on a clock; latency is measured from the intended time',
    )
  addRunFlags(command)
    .addHelpText(
      'after',
      `
Without --target, the embedded stand-in vets-api is started on a free loopback port and stopped
at the end. Results go to <out>/<run-id>/: series.ndjson (one line a second), summary.json,
report.html. Ctrl-C ends the run gracefully (in-flight flows finish); a second Ctrl-C ends it now.

Exit codes: 0 thresholds met, 99 a threshold failed, 2 bad flag or config (or an --out that cannot
be written, found before any load is sent), 1 internal error or results that could not be written
mid-run (a full disk; the run stops and says why). See docs/reliability.md.

Examples:
  checkin-load run --duration 30s --scale 0.5
  checkin-load run --stages "1m:0.1,5m:1" --mock-preset staging-2022 --mock-time-scale 0.1
  checkin-load run --target https://staging-api.va.gov --header-from-env "X-Api-Key=STAGING_KEY" --duration 10m`,
    )
    .action(async (_flags: unknown, cmd: Command) => {
      const config = runConfigFromCommand(cmd)
      const [{ startRun }, { formatSummaryTable }, { parentLink }] = await Promise.all([
        import('../commands/run.js'),
        import('../report/index.js'),
        import('../cluster/child-link.js'),
      ])
      // a worker of `run --workers N` reports its seconds to the parent (src/cluster/fleet.ts)
      const link = parentLink()
      const out = process.stdout
      const view = config.quiet ? undefined : out.isTTY === true ? new TtyView(out) : new PlainView(out)
      const handle = startRun(config, {
        onStart: (info) => {
          view?.start(info)
          for (const e of info.exporters) if (e.url) process.stderr.write(`${e.name}: ${e.url}\n`)
          if (info.web) process.stderr.write(`Live page: ${info.web}\n`)
        },
        onProgress: (p) => view?.progress(p),
        onWarning: (message) => process.stderr.write(`checkin-load: warning: ${message}\n`),
        ...(link && { observers: [link.observer], startAt: link.startAt }),
      })
      link?.control(handle)
      const outcome = await handle.done.catch(async (error: unknown) => {
        await link?.finish()
        throw error
      })
      await link?.finish(outcome)
      view?.finish()
      const color = useColor(out)
      out.write(`\n${formatSummaryTable(outcome.summary, { color })}\n`)
      const poolNote = outcome.summary.generator.connectionNote
      if (poolNote !== undefined) out.write(`\nConnections: ${poolNote}\n`)
      if (outcome.note) out.write(`\n${color ? red(outcome.note) : outcome.note}\n`)
      out.write(`\nResults: ${outcome.runDir}\nReport:  ${outcome.files.report}\n`)
      process.exitCode = outcome.exitCode
      await lingerWithPage(outcome.page)
    })
}

const BAR_WIDTH = 30

const workersText = (info: RunStarted) =>
  info.workers !== undefined && info.workers > 1 ? `, ${info.workers} worker processes` : ''
const fmt1 = (x: number) => formatNumber(x, 1)

function statusLine(p: RunProgress): string {
  return (
    `share ${formatNumber(p.share, 2)}x  asked ${fmt1(p.askedRps)}/s  achieved ${fmt1(p.achievedRps)}/s  ` +
    `in flight ${p.generator.inFlight}  loop lag ${fmt1(p.generator.eventLoopLagMsP99)} ms  cpu ${Math.round(p.generator.cpuPct)}%` +
    (p.generator.sendLagMsP99 !== undefined ? `  send lag p99 ${fmt1(p.generator.sendLagMsP99)} ms` : '') +
    // the shared pool full: a wait of its own, not the generator's lateness
    (p.generator.waitedForConnection !== undefined
      ? `  pool full: ${p.generator.waitedForConnection} waited, p99 ${fmt1(p.generator.connectionWaitMsP99 ?? 0)} ms`
      : '')
  )
}

/** A block redrawn in place once a second: progress bar, rates, one line per endpoint. */
class TtyView {
  private lines = 0
  private header = ''

  constructor(private readonly out: NodeJS.WriteStream) {}

  start(info: RunStarted): void {
    this.header = `${bold('checkin-load run')} ${info.runId} -> ${info.target}${info.embedded ? ' (embedded stand-in)' : ''}${workersText(info)}`
    this.out.write(`${this.header}\n`)
  }

  progress(p: RunProgress): void {
    const fraction = p.plannedS > 0 ? Math.min(1, p.elapsedS / p.plannedS) : 1
    const filled = Math.round(fraction * BAR_WIDTH)
    const bar = `[${'='.repeat(filled)}${' '.repeat(BAR_WIDTH - filled)}]`
    const when = `${p.elapsedS}s / ${p.plannedS}s${p.draining ? '  arrivals stopped, finishing flows in flight' : ''}`
    const rows = [`${bar} ${when}`, statusLine(p)]
    const width = Math.max(...p.endpoints.map((e) => e.endpoint.length))
    for (const e of p.endpoints) {
      const dropped = e.dropped > 0 ? red(`dropped ${formatNumber(e.dropped)}`) : 'dropped 0'
      const errors = e.errors > 0 ? red(`errors ${formatNumber(e.errors)}`) : 'errors 0'
      rows.push(
        `  ${e.endpoint.padEnd(width)}  ${fmt1(e.achievedRps).padStart(7)}/s of ${fmt1(e.askedRps).padStart(7)}/s  ` +
          `p95 ${fmt1(e.p95Ms).padStart(8)} ms  ${errors}  ${dropped}`,
      )
    }
    // move up over the previous block, clear it, draw the new one
    const up = this.lines > 0 ? `\u001b[${this.lines}F\u001b[J` : ''
    this.out.write(`${up}${rows.join('\n')}\n`)
    this.lines = rows.length
  }

  finish(): void {}
}

/** Not a terminal (CI logs): one plain line about every 5 s. */
class PlainView {
  private lastS = 0

  constructor(private readonly out: NodeJS.WritableStream) {}

  start(info: RunStarted): void {
    this.out.write(
      `checkin-load run ${info.runId} -> ${info.target}${info.embedded ? ' (embedded stand-in)' : ''}${workersText(info)}, ${info.plannedS}s planned, seed ${info.seed}\n`,
    )
  }

  progress(p: RunProgress): void {
    if (p.elapsedS - this.lastS < 5) return
    this.lastS = p.elapsedS
    let errors = 0
    let dropped = 0
    let p95 = 0
    for (const e of p.endpoints) {
      errors += e.errors
      dropped += e.dropped
      p95 = Math.max(p95, e.p95Ms)
    }
    this.out.write(
      `${p.elapsedS}s/${p.plannedS}s${p.draining ? ' (finishing)' : ''}  ${statusLine(p)}  errors ${errors}  dropped ${dropped}  worst p95 ${fmt1(p95)} ms\n`,
    )
  }

  finish(): void {}
}
