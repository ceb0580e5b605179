import { type Command, Option } from 'commander'
import { parseOrigin } from '../checkin/browser.js'
import { parseStartAt, type RunConfigSources, resolveRunConfig } from '../config/load.js'
import { parseHeader, parseShard, parseStages } from '../config/parse.js'
import {
  ARRIVAL_PROCESSES,
  CLOCK_KINDS,
  type RunConfig,
  type RunConfigInput,
  TRAFFIC_KINDS,
  TRANSPORT_KINDS,
} from '../config/schema.js'
import { thresholdEntry } from '../config/thresholds.js'
import { ConfigError } from '../errors.js'
import { PRESET_NAMES } from '../model/downstream.js'
import { BUILTIN_PROFILE_NAME } from '../profile/index.js'
import { engineDefaultsFromEnv } from './engine-env.js'
import { durationOption, listOption, numberOption } from './options.js'

/**
 * The flags of `run` (and of the commands that run load: capacity, k8s), each mapped onto a
 * RunConfig key. No flag has a commander default: an absent flag leaves the config file's value
 * or the schema's default in place (defaults <- config file <- flags).
 */
const RUN_FLAG_KEYS = new WeakMap<Command, Set<string>>()

export function addRunFlags(command: Command): Command {
  const before = command.options.length
  declareRunFlags(command)
  RUN_FLAG_KEYS.set(command, new Set(command.options.slice(before).map((option) => option.attributeName())))
  return command
}

function declareRunFlags(command: Command): Command {
  return command
    .option('--target <url>', 'base URL of the target (default: start the embedded stand-in on loopback)')
    .option('--config <file>', 'YAML or JSON config file (flags override it)')
    .option(
      '--profile <name|file>',
      `built-in profile or a YAML/JSON profile file (default ${BUILTIN_PROFILE_NAME})`,
    )
    .addOption(
      numberOption('--check-ins-per-hour <n>', 'day-of check-ins an hour (default 35280)', { min: 0 }),
    )
    .addOption(
      numberOption('--pre-check-ins-per-hour <n>', 'pre-check-ins an hour (default 145000)', { min: 0 }),
    )
    .option('--with-demographics', 'add the PATCH demographics step to the day-of flow')
    .addOption(
      new Option(
        '--traffic <kind>',
        'browser: what the check-in web app sends (Origin, camelCase, CORS preflights); api: bare API calls (default browser)',
      ).choices(TRAFFIC_KINDS),
    )
    .addOption(
      new Option(
        '--origin <url>',
        'Origin of browser traffic (default from the target: https://staging.va.gov for staging-api.va.gov, ...)',
      ).argParser(parseOrigin),
    )
    .option(
      '--per-endpoint',
      "send the profile's table as per-endpoint scripts do: each request a new visit (fresh UUID, no session)",
    )
    .addOption(
      numberOption('--scale <x>', 'multiply every rate of the profile (default 1)', {
        min: 0,
        exclusiveMin: true,
      }),
    )
    .addOption(durationOption('--duration <d>', 'hold 1x for this long, e.g. 90s, 5m (instead of --stages)'))
    .addOption(
      new Option(
        '--stages <list>',
        'DURATION:SHARE list; the share moves linearly, e.g. "1m:0.1,5m:1" (default "10s:0.2,10s:1,40s:1")',
      ).argParser(parseStages),
    )
    .addOption(
      new Option('--arrival <process>', 'arrival process (default poisson)').choices(ARRIVAL_PROCESSES),
    )
    .addOption(
      numberOption(
        '--max-in-flight <n>',
        'most flows in flight; arrivals beyond are dropped and counted (default 10000)',
        { min: 1, integer: true },
      ),
    )
    .addOption(
      new Option(
        '--transport <client>',
        'HTTP client of the engine (default raw, or $CHECKIN_LOAD_TRANSPORT)',
      ).choices(TRANSPORT_KINDS),
    )
    .addOption(
      new Option(
        '--clock <kind>',
        'how the clock loop wakes for an arrival: timer, or precise (a worker thread, more CPU; default timer, or $CHECKIN_LOAD_CLOCK)',
      ).choices(CLOCK_KINDS),
    )
    .addOption(durationOption('--timeout <d>', 'per-request timeout (default 30s)'))
    .addOption(
      numberOption(
        '--connections <n>',
        'a shared pool of N connections (default: a connection per visit with browser traffic, as browsers; with --traffic api, up to the in-flight cap)',
        {
          min: 1,
          integer: true,
        },
      ),
    )
    .addOption(
      listOption('--header <header>', 'extra request header "Name: value" (repeatable; values never logged)'),
    )
    .addOption(
      listOption('--header-from-env <name=VAR>', 'header whose value comes from env var VAR (repeatable)'),
    )
    .option('--insecure', 'accept any TLS certificate')
    .option('--ca <file>', 'PEM file of a CA to trust for the target')
    .addOption(
      listOption(
        '--threshold <expr>',
        "SLO in k6 syntax, e.g. 'http_req_duration{endpoint:post_session}: p(95)<500' (repeatable)",
      ),
    )
    .option('--no-default-slos', 'do not judge the built-in SLO set of the check-in profile')
    .option('--out <dir>', 'folder for run folders (default results)')
    .option('--run-id <id>', 'name of the run folder (default: time + random suffix)')
    .addOption(
      numberOption('--prometheus-port <n>', 'serve Prometheus metrics on this port during the run', {
        min: 0,
        max: 65535,
        integer: true,
      }),
    )
    .option('--prometheus-host <host>', 'address for the Prometheus endpoint (default 127.0.0.1)')
    .addOption(
      durationOption('--prometheus-linger <d>', 'keep the Prometheus endpoint up after the run (default 5s)'),
    )
    .option('--web', 'serve the live page: watch the run and steer its scale from a browser (docs/web.md)')
    .addOption(
      numberOption('--web-port <n>', 'port of the live page (default 5665; 0 = any free port)', {
        min: 0,
        max: 65535,
        integer: true,
      }),
    )
    .option(
      '--web-host <host>',
      'address of the live page (default 127.0.0.1: reach it through an SSH tunnel)',
    )
    .addOption(
      durationOption(
        '--web-linger <d>',
        'keep the live page up after the run, with the final report (default 10s)',
      ),
    )
    .option('--dogstatsd <host:port>', 'send DogStatsD metrics to this agent')
    .addOption(listOption('--tag <key:value>', 'global metric tag (repeatable)'))
    .addOption(
      numberOption('--workers <n>', 'worker processes, each a shard of the arrivals', {
        min: 1,
        integer: true,
      }),
    )
    .addOption(
      new Option('--shard <i/n>', 'run the i-th of n equal slices of the arrivals').argParser(parseShard),
    )
    .addOption(
      new Option('--start-at <time>', 'wall-clock start, ISO-8601 UTC (shards start together)').argParser(
        parseStartAt,
      ),
    )
    .addOption(
      numberOption('--seed <n>', 'seed for arrivals and test data (reproducible runs)', { integer: true }),
    )
    .option('--allow-production', 'allow a production VA.gov host as target')
    .option('--no-limits', 'allow rates over 20,000 req/s and runs over 4 h')
    .option('--quiet', 'no live view; only the summary')
    .addOption(
      new Option('--mock-preset <name>', 'preset of the embedded stand-in (default fast)').choices(
        PRESET_NAMES,
      ),
    )
    .addOption(
      numberOption('--mock-time-scale <f>', "multiply the embedded stand-in's delays", {
        min: 0,
        exclusiveMin: true,
      }),
    )
    .addOption(
      numberOption('--mock-workers <n>', 'worker pool of the embedded stand-in', { min: 1, integer: true }),
    )
    .option(
      '--mock-tls',
      'the embedded stand-in serves HTTPS with a certificate made at start (its CA trusted)',
    )
    .option('--baseline <dir>', 'compare with this earlier run in the report')
    .option('--junit <file>', 'write a JUnit XML file, one test case per threshold')
    .option('--markdown <file>', 'write a Markdown summary (for a CI job summary page)')
}

/** A --threshold flag as a RunConfig entry; checked with the others when the config resolves. */
function thresholdSpecEntry(text: string) {
  const entry = thresholdEntry(text, '--threshold')
  return { metric: entry.metric, conditions: entry.conditions as [string, ...string[]], abortOnFail: false }
}

function parseHeaderFromEnv(text: string): [string, string] {
  const eq = text.indexOf('=')
  const [name] = parseHeader(`${text.slice(0, Math.max(eq, 0))}: x`)
  const variable = eq > 0 ? text.slice(eq + 1).trim() : ''
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) {
    throw new ConfigError(
      `invalid --header-from-env "${text}": write NAME=ENV_VAR, like Authorization=STAGING_TOKEN`,
    )
  }
  return [name, variable]
}

/**
 * Only the run flags the user typed: commander's implied values (like --no-x's true) don't
 * override a config file, and a command's own options (k8s --shards) are not run config.
 */
function givenOptions(command: Command): Record<string, unknown> {
  const runKeys = RUN_FLAG_KEYS.get(command)
  return Object.fromEntries(
    Object.entries(command.opts()).filter(
      ([key]) => command.getOptionValueSource(key) === 'cli' && (runKeys === undefined || runKeys.has(key)),
    ),
  )
}

/** Flags whose config key has another name: the flag speaks the user's words, the config its units. */
const RENAMED: Readonly<Record<string, string>> = {
  duration: 'durationMs',
  timeout: 'timeoutMs',
  prometheusLinger: 'prometheusLingerMs',
  webLinger: 'webLingerMs',
  startAt: 'startAtMs',
  ca: 'caFile',
  tag: 'tags',
}

/** Flags whose text becomes another shape in the config. */
const CONVERTED: Readonly<Record<string, (value: never) => [string, unknown]>> = {
  header: (values: string[]) => ['headers', Object.fromEntries(values.map(parseHeader))],
  headerFromEnv: (values: string[]) => ['headersFromEnv', Object.fromEntries(values.map(parseHeaderFromEnv))],
  threshold: (values: string[]) => ['thresholds', values.map(thresholdSpecEntry)],
  // commander's --no-limits sets limits=false
  limits: (value: boolean) => ['noLimits', !value],
}

/** The config key a run flag sets (for tests: every flag must land on a RunConfig key). */
export function configKeyOf(flag: string): string {
  return RENAMED[flag] ?? (CONVERTED[flag] ? CONVERTED[flag]([] as never)[0] : flag)
}

/** The command's flags as RunConfig input; `--config` names the file under them. */
export function runConfigSources(command: Command): RunConfigSources {
  const { config, ...given } = givenOptions(command)
  const flags = Object.fromEntries(
    Object.entries(given).map(([flag, value]) => {
      const convert = CONVERTED[flag]
      return convert ? convert(value as never) : [RENAMED[flag] ?? flag, value]
    }),
  ) as Partial<RunConfigInput> & { durationMs?: number }
  return { flags, ...(typeof config === 'string' && { configFile: config }) }
}

/** The run config of the command: defaults <- environment (transport, clock) <- config file <- flags. */
export function runConfigFromCommand(command: Command): RunConfig {
  return resolveRunConfig({ ...runConfigSources(command), defaults: engineDefaultsFromEnv() })
}
