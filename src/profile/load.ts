import { readFileSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { ConfigError } from '../errors.js'
import { BUILTIN_PROFILE_NAME, checkinProfile, DEFAULT_ESTIMATES } from './builtin.js'
import { applyTraffic, type TrafficOptions, trafficOf } from './traffic.js'
import type { CheckinEstimates, JsonTemplate, Profile } from './types.js'

const jsonTemplate: z.ZodType<JsonTemplate> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(jsonTemplate),
    z.record(z.string(), jsonTemplate),
  ]),
)

const stepSchema = z.strictObject({
  endpoint: z.string().regex(/^[a-z][a-z0-9_]*$/, 'endpoint ids are snake_case, like post_session'),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']),
  path: z.string().startsWith('/', 'a step path starts with /'),
  body: jsonTemplate.optional(),
  headers: z.record(z.string(), z.string()).optional(),
  thinkTimeMs: z.number().nonnegative().optional(),
  expectStatus: z.array(z.number().int().min(100).max(599)).nonempty().optional(),
})

const flowSchema = z
  .strictObject({
    name: z.string().min(1),
    arrivalsPerMinute: z.number().nonnegative().optional(),
    arrivalsPerHour: z.number().nonnegative().optional(),
    checkInType: z.enum(['dayOf', 'preCheckIn']).optional(),
    steps: z.array(stepSchema).nonempty(),
  })
  .refine((flow) => (flow.arrivalsPerMinute === undefined) !== (flow.arrivalsPerHour === undefined), {
    message: 'give exactly one of arrivalsPerMinute or arrivalsPerHour',
  })

export const profileFileSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().default(''),
  flows: z.array(flowSchema).nonempty(),
})

/** Turns a zod error into one line: where, and what is wrong. */
export function describeZodError(error: z.ZodError, source: string): string {
  const issue = error.issues[0]
  if (!issue) return `${source} is invalid`
  const where = issue.path.length > 0 ? issue.path.join('.') : '(top level)'
  return `${source}: ${where}: ${issue.message}`
}

/** Reads a YAML or JSON file into plain data, with errors that name the file. */
export function readDataFile(path: string, what: string): unknown {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new ConfigError(
      code === 'ENOENT'
        ? `${what} "${path}" does not exist`
        : `cannot read ${what} "${path}": ${(error as Error).message}`,
    )
  }
  try {
    return path.endsWith('.json') ? JSON.parse(text) : parseYaml(text)
  } catch (error) {
    const firstLine = (error as Error).message.split('\n')[0]
    throw new ConfigError(
      `${what} "${path}" is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${firstLine}`,
    )
  }
}

export function loadProfileFile(path: string): Profile {
  const parsed = profileFileSchema.safeParse(readDataFile(path, 'profile file'))
  if (!parsed.success) throw new ConfigError(describeZodError(parsed.error, `profile file "${path}"`))
  return {
    name: parsed.data.name,
    description: parsed.data.description,
    flows: parsed.data.flows.map(({ arrivalsPerHour, arrivalsPerMinute, ...flow }) => ({
      ...flow,
      arrivalsPerMinute: arrivalsPerMinute ?? (arrivalsPerHour ?? 0) / 60,
    })),
  }
}

/**
 * The built-in profile by name, or a profile file (YAML/JSON) by path; with `traffic`, as that
 * traffic sends it (src/profile/traffic.ts). The built-in profile's requests take the web app's
 * form for browser traffic; a file's steps are sent as written, with the browser's headers and
 * preflights around them.
 */
export function resolveProfile(
  nameOrPath: string,
  estimates: Partial<CheckinEstimates> = {},
  traffic?: TrafficOptions,
): Profile {
  const profile = loadProfile(nameOrPath, estimates, traffic?.traffic === 'browser' ? 'browser' : 'api')
  return traffic === undefined ? profile : applyTraffic(profile, traffic)
}

function loadProfile(
  nameOrPath: string,
  estimates: Partial<CheckinEstimates>,
  form: 'browser' | 'api',
): Profile {
  if (nameOrPath === BUILTIN_PROFILE_NAME) return checkinProfile({ ...DEFAULT_ESTIMATES, ...estimates }, form)
  if (/\.(ya?ml|json)$/.test(nameOrPath)) return loadProfileFile(nameOrPath)
  throw new ConfigError(
    `unknown profile "${nameOrPath}": use the built-in "${BUILTIN_PROFILE_NAME}" or a .yaml/.json profile file`,
  )
}

/** The profile a run (or capacity search) sends: its name or file, estimates and traffic. */
export function runProfile(
  config: Parameters<typeof trafficOf>[0] & {
    readonly profile: string
    readonly checkInsPerHour: number
    readonly preCheckInsPerHour: number
    readonly withDemographics: boolean
  },
): Profile {
  const { checkInsPerHour, preCheckInsPerHour, withDemographics } = config
  return resolveProfile(
    config.profile,
    { checkInsPerHour, preCheckInsPerHour, withDemographics },
    trafficOf(config),
  )
}
