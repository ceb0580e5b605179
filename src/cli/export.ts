import { writeFileSync } from 'node:fs'
import type { Command } from 'commander'
import { ConfigError } from '../errors.js'
import { notApplicable, redescribe } from './applicable.js'
import { addRunFlags, runConfigFromCommand } from './run-flags.js'
import { packageVersion } from './version.js'

/** Run flags a k6 script cannot carry: hidden from --help and refused (applicable.ts). */
const whole = (flag: string) => ({
  message: `export k6 does not use ${flag}: k6 runs the whole load (k6-operator splits it)`,
})
const NOT_FOR_K6: Readonly<Record<string, string | { message: string }>> = {
  shard: whole('--shard'),
  workers: whole('--workers'),
  startAt: whole('--start-at'),
  prometheusPort: whole('--prometheus-port'),
  prometheusHost: "k6 exports its own metrics (k6's outputs)",
  prometheusLinger: "k6 exports its own metrics (k6's outputs)",
  dogstatsd: whole('--dogstatsd'),
  tag: "k6 exports its own metrics (k6's outputs)",
  baseline: 'k6 writes its own results; `--out` names the script',
  junit: 'k6 writes its own results; `--out` names the script',
  markdown: 'k6 writes its own results; `--out` names the script',
  mockPreset: 'the script starts no stand-in (run `checkin-load mock` for one)',
  mockWorkers: 'the script starts no stand-in (run `checkin-load mock` for one)',
  web: 'k6 has its own web dashboard (K6_WEB_DASHBOARD=true); the script cannot steer its arrival rate',
  webPort: 'k6 has its own web dashboard (K6_WEB_DASHBOARD_PORT)',
  webHost: 'k6 has its own web dashboard (K6_WEB_DASHBOARD_HOST)',
  webLinger: 'k6 has its own web dashboard',
}

/** `checkin-load export k6 [run flags] [--out FILE]`: the run's load as a k6 script. */
export function registerExportCommand(program: Command): void {
  const exportCommand = program.command('export').description('write the load of a run for another tool')
  const command = exportCommand
    .command('k6')
    .description(
      'a k6 script of the same load: one arrival-rate scenario per flow, the same requests and thresholds (--out FILE: the script file; default stdout)',
    )
  notApplicable(addRunFlags(command), NOT_FOR_K6)
  redescribe(command, 'out', 'write the script to this file (default: stdout)')
    .addHelpText(
      'after',
      `
Example:
  checkin-load export k6 --target https://staging-api.va.gov --stages 5m:0.5,10m:1 --out checkin.js
  k6 run checkin.js

Without --target the script aims at http://127.0.0.1:3000 (checkin-load mock); k6 run -e
CHECKIN_LOAD_TARGET=URL changes it. k6 measures latency from the actual send, not from the
intended time as run does: see the README's k6 section.`,
    )
    .action(async () => {
      // run's --out names the results folder; here it names the script
      const out = command.getOptionValueSource('out') === 'cli' ? (command.opts().out as string) : undefined
      for (const ignored of ['shard', 'workers', 'startAt', 'prometheusPort', 'dogstatsd'] as const) {
        if (command.getOptionValueSource(ignored) === 'cli') {
          throw new ConfigError(
            `export k6 does not use --${ignored.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: k6 runs the whole load (k6-operator splits it)`,
          )
        }
      }
      const config = runConfigFromCommand(command)
      const { exportK6 } = await import('../export/run-k6.js')
      const script = exportK6(config, {
        version: packageVersion(),
        command: `checkin-load export k6 ${describeFlags(process.argv.slice(4))}`.trim(),
      })
      if (out === undefined) {
        process.stdout.write(script)
        return
      }
      try {
        writeFileSync(out, script)
      } catch (error) {
        throw new ConfigError(`cannot write the script to ${out}: ${(error as Error).message}`)
      }
      process.stderr.write(`checkin-load: wrote ${out}\n`)
    })
}

/**
 * The flags as the script's header shows them: without --out (where it was written) and without
 * any --header value (a key, often): `--header 'X-Api-Key: <redacted>'`.
 */
export function describeFlags(args: readonly string[]): string {
  const shown: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === '--out') {
      i++
      continue
    }
    if (arg.startsWith('--out=')) continue
    if (arg === '--header' || arg.startsWith('--header=')) {
      const value = arg === '--header' ? (args[++i] ?? '') : arg.slice('--header='.length)
      shown.push('--header', `'${value.split(':')[0]!.trim()}: <redacted>'`)
      continue
    }
    shown.push(/^[\w@%+=:,./{}()<>-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`)
  }
  return shown.join(' ')
}
