import { LIMITS } from '../config/schema.js'
import type { ControlSource, SeriesControl } from '../model/results.js'
import { ControlRefused, type ControlState, type LoadControl } from './control.js'

/** What a running load offers to be steered: the engine, or a fleet of workers. */
export interface SteerableLoad {
  /** multiply the stages' share by `scale` from now on (ramped over a second); 0 pauses */
  setUserScale(scale: number): void
  /** end gracefully, as a first Ctrl-C: arrivals stop, visits in flight finish */
  stop(): void
}

export interface SteeringOptions {
  /** highest user scale allowed; null: no bound (--no-limits) */
  readonly maxScale: number | null
  /** false: only stop is offered (capacity sets the share itself) */
  readonly steerable?: boolean
  /** what a bound refusal tells the user to do */
  readonly limitHint?: string
}

/**
 * The run's steering desk: checks each request against the run's state and limits, applies it to
 * the load, and reports the change (for series.ndjson, the page's markers, Prometheus). Time is
 * counted from the run's time zero, given by start(); before it, nothing can be steered.
 */
export class Steering implements LoadControl {
  private load: SteerableLoad | undefined
  private startedAtMs: number | undefined
  private scale = 1
  private paused = false
  private phase: ControlState['phase'] = 'waiting'
  private readonly listeners: ((change: SeriesControl) => void)[] = []

  constructor(
    private readonly options: SteeringOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** The load to steer and its time zero (epoch ms). */
  start(load: SteerableLoad, startedAtMs: number): void {
    this.load = load
    this.startedAtMs = startedAtMs
    if (this.phase === 'waiting') this.phase = 'running'
  }

  /** The run is over: every later request is refused. */
  end(): void {
    this.phase = 'ended'
  }

  onChange(listener: (change: SeriesControl) => void): void {
    this.listeners.push(listener)
  }

  state(): ControlState {
    return {
      scale: this.scale,
      paused: this.paused,
      phase: this.phase,
      maxScale: this.options.maxScale,
      steerable: this.options.steerable !== false,
    }
  }

  setScale(scale: number, who: ControlSource): SeriesControl {
    this.mustSteer('scale')
    const max = this.options.maxScale
    if (!Number.isFinite(scale) || scale < 0) throw new ControlRefused(400, `scale must be a number >= 0`)
    if (max !== null && scale > max)
      throw new ControlRefused(
        400,
        `scale ${scale} is over this run's limit of ${Math.floor(max * 1000) / 1000}${this.options.limitHint ? ` (${this.options.limitHint})` : ''}`,
      )
    const from = this.scale
    this.scale = scale
    // while paused, the new scale waits for resume
    if (!this.paused) this.load!.setUserScale(scale)
    return this.record(who, 'scale', from, scale)
  }

  pause(who: ControlSource): SeriesControl {
    this.mustSteer('pause')
    if (this.paused) throw new ControlRefused(409, 'the arrivals are paused already')
    this.paused = true
    this.load!.setUserScale(0)
    return this.record(who, 'pause', this.scale, 0)
  }

  resume(who: ControlSource): SeriesControl {
    this.mustSteer('resume')
    if (!this.paused) throw new ControlRefused(409, 'the arrivals are not paused')
    this.paused = false
    this.load!.setUserScale(this.scale)
    return this.record(who, 'resume', 0, this.scale)
  }

  stop(who: ControlSource): SeriesControl {
    this.mustBeRunning()
    this.phase = 'stopping'
    this.load!.stop()
    const scale = this.paused ? 0 : this.scale
    return this.record(who, 'stop', scale, scale)
  }

  private mustSteer(action: string): void {
    if (this.options.steerable === false)
      throw new ControlRefused(
        409,
        `${action} is not offered here: the capacity search sets the share itself (stop is)`,
      )
    this.mustBeRunning()
  }

  private mustBeRunning(): void {
    if (this.phase === 'waiting') throw new ControlRefused(409, 'the run has not started yet')
    if (this.phase === 'stopping') throw new ControlRefused(409, 'the run is stopping')
    if (this.phase === 'ended') throw new ControlRefused(409, 'the run has ended')
  }

  private record(
    who: ControlSource,
    action: SeriesControl['action'],
    from: number,
    to: number,
  ): SeriesControl {
    const atMs = Math.max(0, this.now() - this.startedAtMs!)
    const change: SeriesControl = { type: 'control', atMs, who, action, from, to }
    for (const listener of this.listeners) listener(change)
    return change
  }
}

/**
 * The highest user scale within the run's rate cap (LIMITS.maxRps, as `run` refuses a --scale
 * today): `peakRps` is what the stages ask at their peak with user scale 1. null with --no-limits.
 */
export function userScaleLimit(peakRps: number, noLimits: boolean): number | null {
  if (noLimits || !(peakRps > 0)) return null
  return LIMITS.maxRps / peakRps
}
