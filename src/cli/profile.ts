import { type Command, Option } from 'commander'
import { parseOrigin } from '../checkin/browser.js'
import { TRAFFIC_KINDS } from '../config/schema.js'
import { PRESET_NAMES, PRESETS, type PresetName } from '../model/downstream.js'
import {
  BUILTIN_PROFILE_NAME,
  DEFAULT_ESTIMATES,
  type DerivedProfile,
  deriveRates,
  type ProfileTraffic,
  predictWorkers,
  resolveProfile,
  type TrafficKind,
  type WorkerPrediction,
} from '../profile/index.js'
import { numberOption } from './options.js'
import { formatNumber, formatTable } from './table.js'

interface ProfileFlags {
  profile: string
  checkInsPerHour?: number
  preCheckInsPerHour?: number
  scale: number
  withDemographics?: boolean
  json?: boolean
  workers?: number
  serverWorkers?: number
  preset?: PresetName
  traffic?: TrafficKind
  origin?: string
  perEndpoint?: boolean
}

export function registerProfileCommand(program: Command): void {
  program
    .command('profile')
    .description('print the load a profile asks for: requests per minute and second per endpoint')
    .addOption(
      new Option('--profile <name|file>', 'built-in profile or a YAML/JSON profile file').default(
        BUILTIN_PROFILE_NAME,
      ),
    )
    .addOption(
      numberOption(
        '--check-ins-per-hour <n>',
        `day-of check-ins an hour (default ${DEFAULT_ESTIMATES.checkInsPerHour})`,
        {
          min: 0,
        },
      ),
    )
    .addOption(
      numberOption(
        '--pre-check-ins-per-hour <n>',
        `pre-check-ins an hour (default ${DEFAULT_ESTIMATES.preCheckInsPerHour})`,
        { min: 0 },
      ),
    )
    .addOption(numberOption('--scale <x>', 'multiply every rate', { min: 0, exclusiveMin: true }).default(1))
    .option(
      '--with-demographics',
      'add the PATCH demographics step to the day-of flow (as the 2022 test did)',
    )
    .addOption(
      numberOption(
        '--server-workers <n>',
        "predict, by Little's law, when the target's pool of N workers saturates (alias: --workers)",
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
      new Option('--preset <name>', 'stand-in preset whose downstream delays the prediction uses').choices(
        PRESET_NAMES,
      ),
    )
    .addOption(
      new Option(
        '--traffic <kind>',
        'browser (the web app: CORS preflights too) or api (bare calls), as run sends it (default browser)',
      ).choices(TRAFFIC_KINDS),
    )
    .addOption(new Option('--origin <url>', 'Origin of browser traffic').argParser(parseOrigin))
    .option(
      '--per-endpoint',
      'the table as per-endpoint scripts send it (each request a new visit: random UUID, no session), and its prediction',
    )
    .option('--json', 'print JSON for scripts')
    .addHelpText(
      'after',
      `
Examples:
  checkin-load profile
  checkin-load profile --scale 2 --json
  checkin-load profile --server-workers 240 --preset staging-2022
  checkin-load profile --server-workers 240 --preset staging-2022 --per-endpoint`,
    )
    .action((flags: ProfileFlags) => {
      const profile = resolveProfile(
        flags.profile,
        {
          ...(flags.checkInsPerHour !== undefined && { checkInsPerHour: flags.checkInsPerHour }),
          ...(flags.preCheckInsPerHour !== undefined && { preCheckInsPerHour: flags.preCheckInsPerHour }),
          withDemographics: flags.withDemographics === true,
        },
        {
          traffic: flags.traffic ?? 'browser',
          origin: flags.origin,
          perEndpoint: flags.perEndpoint === true,
        },
      )
      const derived = deriveRates(profile, flags.scale)
      const workers = flags.serverWorkers ?? flags.workers
      const wantsPrediction =
        workers !== undefined || flags.preset !== undefined || flags.perEndpoint === true
      const preset = PRESETS[flags.preset ?? 'staging-2022']
      const prediction = wantsPrediction
        ? predictWorkers(profile, preset, workers ?? preset.workers, {
            perEndpoint: flags.perEndpoint === true,
          })
        : undefined
      process.stdout.write(
        flags.json
          ? `${JSON.stringify(profileJson(derived, prediction, profile.traffic), null, 2)}\n`
          : profileText(derived, prediction, profile.traffic),
      )
    })
}

const round = (value: number, decimals: number) => Number(value.toFixed(decimals))

function trafficLine(traffic: ProfileTraffic | undefined): string {
  if (traffic === undefined) return ''
  const shape = traffic.perEndpoint
    ? 'per endpoint (each request a new visit: fresh UUID, no session)'
    : 'in visits (each flow one session)'
  return traffic.kind === 'browser'
    ? `\nTraffic: browser, Origin ${traffic.origin}, ${shape}; a CORS preflight before each distinct URL of a visit\n`
    : `\nTraffic: bare API calls, ${shape}\n`
}

export function profileJson(
  derived: DerivedProfile,
  prediction?: WorkerPrediction,
  traffic?: ProfileTraffic,
) {
  return {
    profile: derived.profile,
    ...(traffic && { traffic }),
    scale: derived.scale,
    flows: Object.fromEntries(
      derived.flows.map((f) => [f.name, { perMinute: round(f.perMinute, 3), perHour: round(f.perHour, 1) }]),
    ),
    endpoints: Object.fromEntries(
      derived.endpoints.map((e) => [
        e.endpoint,
        { method: e.method, rpm: round(e.rpm, 3), rps: round(e.rps, 3) },
      ]),
    ),
    totalRpm: round(derived.totalRpm, 3),
    totalRps: round(derived.totalRps, 3),
    preflightRpm: round(derived.preflightRpm, 3),
    receivedRpm: round(derived.receivedRpm, 3),
    receivedRps: round(derived.receivedRpm / 60, 3),
    ...(prediction && {
      prediction: {
        preset: prediction.preset,
        workers: prediction.workers,
        perEndpoint: prediction.perEndpoint,
        busyWorkersAt1x: round(prediction.busyAt1x, 1),
        busyWorkersAtScale: round(prediction.busyAt1x * derived.scale, 1),
        saturationShare: round(prediction.saturationShare, 3),
      },
    }),
  }
}

export function profileText(
  derived: DerivedProfile,
  prediction?: WorkerPrediction,
  traffic?: ProfileTraffic,
): string {
  const rows = derived.endpoints.map((e) => [
    e.endpoint,
    e.method,
    formatNumber(e.rpm, 2),
    formatNumber(e.rps, 2),
  ])
  rows.push(['total', '', formatNumber(derived.totalRpm, 2), formatNumber(derived.totalRps, 2)])
  if (derived.preflightRpm > 0) {
    const received = derived.receivedRpm
    rows.push([
      'preflight',
      'OPTIONS',
      formatNumber(derived.preflightRpm, 2),
      formatNumber(derived.preflightRpm / 60, 2),
    ])
    rows.push(['vets-api receives', '', formatNumber(received, 2), formatNumber(received / 60, 2)])
  }
  const flows = derived.flows
    .map(
      (f) => `  ${f.name}: ${formatNumber(f.perHour, 1)} an hour (${formatNumber(f.perMinute, 2)} a minute)`,
    )
    .join('\n')
  let text = `Profile ${derived.profile} at ${derived.scale}x\n\nFlows:\n${flows}\n${trafficLine(traffic)}\n${formatTable(['endpoint', 'method', 'rpm', 'req/s'], rows, { leftColumns: [0, 1] })}\n`
  if (prediction) {
    const atScale = prediction.busyAt1x * derived.scale
    text +=
      `\nLittle's law with the ${prediction.preset} preset's downstream delays` +
      (prediction.perEndpoint ? ', the table sent per endpoint (no sessions)' : '') +
      ':\n' +
      `  busy workers at 1x: ${formatNumber(prediction.busyAt1x, 1)}` +
      (derived.scale !== 1 ? `, at ${derived.scale}x: ${formatNumber(atScale, 1)}` : '') +
      `\n  a pool of ${prediction.workers} workers saturates at ${formatNumber(prediction.saturationShare, 2)}x of the profile` +
      ` (${formatNumber((derived.totalRps / derived.scale) * prediction.saturationShare, 1)} req/s)\n` +
      (atScale > prediction.workers
        ? `  at ${derived.scale}x the pool is short by ${formatNumber(atScale - prediction.workers, 1)} workers: the backlog grows without bound\n`
        : `  at ${derived.scale}x the pool is ${formatNumber((atScale / prediction.workers) * 100, 0)}% busy\n`)
  }
  return text
}
