import type { ControlSource, SeriesControl } from '../model/results.js'

/**
 * What the live page (and `POST /api/control`) may do to a running load, and what it sees of it.
 * The web server calls a LoadControl; Steering (steering.ts) is the one a run uses.
 */
export interface ControlState {
  /** the user scale: it multiplies the stages' share from the moment it is set (1: as planned) */
  readonly scale: number
  readonly paused: boolean
  /** waiting: no time zero yet; stopping: stop() asked, visits in flight finishing */
  readonly phase: 'waiting' | 'running' | 'stopping' | 'ended'
  /** the highest user scale the run's limits allow; null with --no-limits */
  readonly maxScale: number | null
  /** false when only stop is offered (capacity: the search sets the share) */
  readonly steerable: boolean
}

export interface LoadControl {
  state(): ControlState
  /** each returns the change made (also recorded in series.ndjson); throws ControlRefused */
  setScale(scale: number, who: ControlSource): SeriesControl
  pause(who: ControlSource): SeriesControl
  resume(who: ControlSource): SeriesControl
  stop(who: ControlSource): SeriesControl
}

/** A control request the load cannot take now or at all; `status` is the HTTP answer. */
export class ControlRefused extends Error {
  constructor(
    readonly status: 400 | 409,
    message: string,
  ) {
    super(message)
    this.name = 'ControlRefused'
  }
}

export type ControlRequest =
  | { readonly kind: 'scale'; readonly scale: number }
  | { readonly kind: 'pause' | 'resume' | 'stop' }

/** The JSON body of POST /api/control, `{"scale": x}` or `{"action": "pause"|"resume"|"stop"}`. */
export function parseControlRequest(body: unknown): ControlRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new ControlRefused(400, 'the body must be a JSON object: {"scale": x} or {"action": "pause"}')
  const { scale, action, ...rest } = body as Record<string, unknown>
  const extra = Object.keys(rest)
  if (extra.length > 0) throw new ControlRefused(400, `unknown key "${extra[0]}": give "scale" or "action"`)
  if (scale !== undefined && action !== undefined)
    throw new ControlRefused(400, 'give either "scale" or "action", not both')
  if (scale !== undefined) {
    if (typeof scale !== 'number' || !Number.isFinite(scale) || scale < 0)
      throw new ControlRefused(400, `"scale" must be a number >= 0, not ${JSON.stringify(scale)}`)
    return { kind: 'scale', scale }
  }
  if (action === 'pause' || action === 'resume' || action === 'stop') return { kind: action }
  throw new ControlRefused(400, `"action" must be "pause", "resume" or "stop", not ${JSON.stringify(action)}`)
}

/** Applies a parsed request to a LoadControl. */
export function applyControl(
  control: LoadControl,
  request: ControlRequest,
  who: ControlSource,
): SeriesControl {
  switch (request.kind) {
    case 'scale':
      return control.setScale(request.scale, who)
    case 'pause':
      return control.pause(who)
    case 'resume':
      return control.resume(who)
    case 'stop':
      return control.stop(who)
  }
}
