import { type Command, Option } from 'commander'
import { UsageError } from '../errors.js'
import { DEFAULT_WEB_ORIGINS } from '../mock/cors.js'
import { PRESET_NAMES, type PresetName } from '../model/downstream.js'
import { numberOption } from './options.js'

interface MockFlags {
  host: string
  port: number
  preset: PresetName
  workers?: number
  serverWorkers?: number
  backlogCap?: number
  timeScale: number
  errorRate: number
  seed: number
  quiet?: boolean
  stopOnStdinEnd?: boolean
  webOrigin?: string
  tls?: boolean
  tlsDir?: string
}

/** how long a stop waits for requests in flight before cutting connections */
const STOP_BOUND_MS = 10_000

export function registerMockCommand(program: Command): void {
  program
    .command('mock')
    .description('run the stand-in vets-api: the check-in API with mocked downstream services')
    .addOption(new Option('--host <host>', 'address to listen on').default('127.0.0.1'))
    .addOption(
      numberOption('--port <n>', 'port to listen on (0 = a free port)', {
        min: 0,
        max: 65_535,
        integer: true,
      }).default(3000),
    )
    .addOption(
      new Option('--preset <name>', 'downstream delays and pool size').choices(PRESET_NAMES).default('fast'),
    )
    .addOption(
      numberOption(
        '--server-workers <n>',
        "size of the stand-in's worker pool (default: the preset's; alias: --workers)",
        {
          min: 1,
          integer: true,
        },
      ),
    )
    // the former name, still accepted: `run --workers` is generator processes, a different thing
    .addOption(
      numberOption('--workers <n>', 'alias of --server-workers', { min: 1, integer: true }).hideHelp(),
    )
    .addOption(
      numberOption(
        '--backlog-cap <n>',
        'most requests waiting for a worker; beyond it, 503 (default: no cap)',
        {
          min: 0,
          integer: true,
        },
      ),
    )
    .addOption(
      numberOption('--time-scale <f>', 'multiply every downstream delay by F', { min: 0 }).default(1),
    )
    .addOption(
      numberOption('--error-rate <r>', 'probability that each downstream call fails (0-1)', {
        min: 0,
        max: 1,
      }).default(0),
    )
    .addOption(
      numberOption('--seed <n>', 'seed of delays, faults and generated bodies', { integer: true }).default(1),
    )
    .option(
      '--web-origin <list>',
      `origins allowed by CORS, comma-separated, as vets-api's web_origin (default ${DEFAULT_WEB_ORIGINS.join(',')})`,
    )
    .option('--tls', 'serve HTTPS with a certificate made at start (its CA file is printed, for run --ca)')
    .option(
      '--tls-dir <dir>',
      'with --tls: write ca.pem, cert.pem and key.pem there (default: a temporary folder)',
    )
    .option('--quiet', 'do not log errors (bad requests) to stderr')
    .addOption(new Option('--stop-on-stdin-end', 'stop when stdin closes (for a parent process)').hideHelp())
    .addHelpText(
      'after',
      `
The first line on stdout is "checkin-load mock listening on http://HOST:PORT" (https:// with --tls).
It answers as vets-api: CORS preflights for the --web-origin list, X-Key-Inflection (OliveBranch),
POST paths with or without the trailing slash. Presets: fast, staging-2022 (the June 2022 code and
betamocks delays), current (today's calls, same delays).
Metrics: GET /metrics (Prometheus). Readiness: GET /health. Stops on SIGINT/SIGTERM, letting
requests in flight finish (up to ${STOP_BOUND_MS / 1000} s).

Examples:
  checkin-load mock
  checkin-load mock --preset staging-2022 --time-scale 0.1
  checkin-load mock --preset staging-2022 --server-workers 480 --backlog-cap 1000 --error-rate 0.01
  checkin-load mock --tls --web-origin https://www.va.gov,http://localhost:3001`,
    )
    .action(async (flags: MockFlags) => {
      if (flags.tlsDir !== undefined && !flags.tls) throw new UsageError('--tls-dir needs --tls')
      const { startMockServer, standInOf } = await import('../mock/index.js')
      const server = await startMockServer({
        ...(flags.webOrigin !== undefined && { webOrigins: parseOrigins(flags.webOrigin) }),
        ...(flags.tls === true && { tls: true }),
        ...(flags.tlsDir !== undefined && { tlsDir: flags.tlsDir }),
        host: flags.host,
        port: flags.port,
        preset: flags.preset,
        ...((flags.serverWorkers ?? flags.workers) !== undefined && {
          workers: flags.serverWorkers ?? flags.workers,
        }),
        ...(flags.backlogCap !== undefined && { backlogCap: flags.backlogCap }),
        timeScale: flags.timeScale,
        errorRate: flags.errorRate,
        seed: flags.seed,
        quiet: flags.quiet === true,
        closeTimeoutMs: STOP_BOUND_MS,
      }).catch((error: unknown) => {
        throw listenError(error, flags.host, flags.port)
      })
      const mock = standInOf(server.app)
      const o = mock.options
      process.stdout.write(
        `checkin-load mock listening on ${server.url}\n` +
          `  preset ${o.preset.name}, ${o.workers} workers` +
          `${Number.isFinite(o.backlogCap) ? `, backlog cap ${o.backlogCap}` : ''}` +
          `, time scale ${o.timeScale}, error rate ${o.errorRate}, seed ${o.seed}\n` +
          `  metrics ${server.url}/metrics, health ${server.url}/health\n` +
          `  CORS origins ${o.webOrigins.join(', ')}\n` +
          (server.caPath !== undefined
            ? `  TLS certificate made at start; its CA: ${server.caPath} (run --ca ${server.caPath})\n`
            : ''),
      )
      await new Promise<void>((resolve) => {
        let stopping = false
        const stop = (why: string) => {
          if (stopping) return
          stopping = true
          if (!flags.quiet) process.stderr.write(`checkin-load mock: ${why}, stopping\n`)
          server.close().then(resolve, resolve)
        }
        process.once('SIGINT', () => stop('SIGINT'))
        process.once('SIGTERM', () => stop('SIGTERM'))
        if (flags.stopOnStdinEnd) {
          process.stdin.on('end', () => stop('stdin closed'))
          process.stdin.on('error', () => stop('stdin closed'))
          process.stdin.resume()
        }
      })
      // requests cut after the bound may leave timers behind: exit now, with 0
      process.exit(0)
    })
}

/** `--web-origin a,b`: each an origin as a browser sends it (checked by the stand-in's options). */
function parseOrigins(list: string): string[] {
  const origins = list
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '')
  if (origins.length === 0) throw new UsageError('--web-origin needs at least one origin')
  return origins
}

const LISTEN_ERRORS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the port is already in use',
  EACCES: 'permission denied',
  EADDRNOTAVAIL: 'the address is not available on this machine',
  ENOTFOUND: 'the host name does not resolve',
}

/** A socket error of listen() as a user's mistake (exit 2); anything else stays an internal error. */
function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as { code?: unknown } | null)?.code
  const reason = typeof code === 'string' ? LISTEN_ERRORS[code] : undefined
  return reason === undefined
    ? error
    : new UsageError(`cannot listen on ${host}:${port}: ${reason} (${code})`)
}
