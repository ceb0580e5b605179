import { ConfigError } from '../errors.js'
import type { FlowSpec, StepSpec } from '../profile/types.js'
import {
  type CompiledTemplate,
  compileBodyTemplate,
  compileHeaderTemplate,
  compilePathTemplate,
} from './template.js'

/**
 * A flow compiled once at the start of a run: per step, everything that does not change between
 * requests is prebuilt (endpoint number, method, the static header array, the path and body
 * templates, the expected-status table), so a request only fills the visit's values.
 */
export interface CompiledStep {
  readonly endpoint: number
  readonly endpointId: string
  readonly method: string
  readonly path: CompiledTemplate
  readonly body: CompiledTemplate | null
  /** flat [name, value, ...], lower-case names: global headers, then the step's own */
  readonly headers: readonly string[]
  /** step headers whose values use variables */
  readonly dynamicHeaders: readonly (readonly [string, CompiledTemplate])[]
  readonly thinkMs: number
  /** ok[status] === 1 when the status counts as success */
  readonly ok: Uint8Array
  /**
   * browser traffic: the Origin the answer must allow (Access-Control-Allow-Origin equal to it,
   * Access-Control-Allow-Credentials: true), else the step fails as `cors`; null: not checked
   */
  readonly corsOrigin: string | null
  /** a CORS preflight: sent without the visit's cookies (as browsers do), and a non-2xx is `cors` */
  readonly preflight: boolean
}

export interface CompiledFlow {
  readonly index: number
  readonly name: string
  readonly arrivalsPerMinute: number
  readonly steps: readonly CompiledStep[]
  /** endpoint number of each step (what a dropped arrival counts) */
  readonly stepEndpoints: Uint16Array
}

export interface CompileOptions {
  /** endpoint ids: a step's endpoint number is its index here */
  readonly endpoints: readonly string[]
  /** template variable names, in the order of the visit's values */
  readonly variables: readonly string[]
  /** headers on every request (lower-case names); a step's own header of the same name wins */
  readonly headers?: Readonly<Record<string, string>>
  /** path prefix of the target URL ('' or '/prefix'), put before every step's path */
  readonly basePath?: string
}

export const USER_AGENT = 'checkin-load/0.1'

export function compileFlows(flows: readonly FlowSpec[], options: CompileOptions): CompiledFlow[] {
  return flows.map((flow, index) => {
    const steps = flow.steps.map((step, i) => compileStep(step, options, `flow "${flow.name}" step ${i + 1}`))
    return {
      index,
      name: flow.name,
      arrivalsPerMinute: flow.arrivalsPerMinute,
      steps,
      stepEndpoints: Uint16Array.from(steps, (s) => s.endpoint),
    }
  })
}

function compileStep(step: StepSpec, options: CompileOptions, where: string): CompiledStep {
  const endpoint = options.endpoints.indexOf(step.endpoint)
  if (endpoint < 0)
    throw new ConfigError(`${where}: endpoint "${step.endpoint}" is not in the run's endpoints`)
  const merged = new Map<string, string>([['user-agent', USER_AGENT]])
  for (const [name, value] of Object.entries(options.headers ?? {})) merged.set(name.toLowerCase(), value)
  if (step.body !== undefined) merged.set('content-type', 'application/json')
  for (const [name, value] of Object.entries(step.headers ?? {})) merged.set(name.toLowerCase(), value)
  const headers: string[] = []
  const dynamicHeaders: [string, CompiledTemplate][] = []
  for (const [name, value] of merged) {
    const template = compileHeaderTemplate(value, options.variables, `${where}: header ${name}`)
    if (template.isStatic) headers.push(name, value)
    else dynamicHeaders.push([name, template])
  }
  const ok = new Uint8Array(600)
  if (step.expectStatus && step.expectStatus.length > 0) {
    for (const status of step.expectStatus) ok[status] = 1
  } else {
    ok.fill(1, 200, 300)
  }
  const basePath = options.basePath ?? ''
  return {
    endpoint,
    endpointId: step.endpoint,
    method: step.method,
    path: compilePathTemplate(basePath + step.path, options.variables, `${where}: path`),
    body:
      step.body === undefined ? null : compileBodyTemplate(step.body, options.variables, `${where}: body`),
    headers,
    dynamicHeaders,
    thinkMs: step.thinkTimeMs ?? 0,
    ok,
    corsOrigin: step.corsOrigin ?? null,
    preflight: step.kind === 'preflight',
  }
}
