import type { RunObserver } from '../metrics/observer.js'
import { isParentMessage, WORKER_ENV, type WorkerMessage, type WorkerTotals } from './protocol.js'

/**
 * The worker's end of `run --workers N`: a `checkin-load run --shard i/N` process forked by the
 * parent (IPC channel, WORKER_ENV=1). Once ready to send it says so and waits for the start time
 * the parent shares with every worker (so that no worker's boot eats into the run); then it sends
 * its series lines to the parent as it writes them (an observer of the run), ends when the parent
 * says so, and ends gracefully on its own when the parent goes away (the channel closes), so that
 * a worker never outlives its parent by more than its drain. A worker still writes its own run
 * folder: nothing depends on the channel alone.
 */
export interface ParentLink {
  /** add to the run's observers */
  readonly observer: RunObserver
  /** the run's startAt option: tells the parent this worker is ready, resolves to the shared start */
  startAt(): Promise<number>
  /** the run to stop (or steer) when the parent asks, or to stop when it disappears */
  control(run: SteeredRun): void
  /** the run is over: send its totals, then let go of the channel */
  finish(outcome?: { readonly runDir: string; readonly engine: WorkerTotals }): Promise<void>
}

/** What a worker's run offers the parent: stop, abort, and (run --web) the user scale from a shared time. */
export interface SteeredRun {
  stop(): void
  abort(): void
  setUserScale?(scale: number, atEpochMs?: number): void
}

type Send = (message: WorkerMessage, callback?: (error: Error | null) => void) => boolean

/** The link to the parent, when this process is a worker of `run --workers`; else undefined. */
export function parentLink(proc: NodeJS.Process = process): ParentLink | undefined {
  if (proc.env[WORKER_ENV] !== '1' || typeof proc.send !== 'function') return undefined
  const send = proc.send.bind(proc) as Send
  // the channel must not keep this process alive: the run does, as long as it runs
  proc.channel?.unref()
  let run: SteeredRun | undefined
  /** the last scale the parent set, for a run handed over after it */
  let scaleAsked: { scale: number; atMs: number } | undefined
  let stopAsked = false
  let abortAsked = false
  let startAtMs: number | undefined
  let onStartTime: ((atMs: number) => void) | undefined
  const startNow = (atMs: number) => {
    startAtMs ??= atMs
    if (onStartTime === undefined) return
    onStartTime(startAtMs)
    onStartTime = undefined
    proc.channel?.unref()
  }
  const post = (message: WorkerMessage) => {
    if (!proc.connected) return
    try {
      send(message)
    } catch {
      // the parent went away: the 'disconnect' handler stops the run
    }
  }
  proc.on('message', (message: unknown) => {
    if (!isParentMessage(message)) return
    if (message.type === 'start') {
      startNow(message.atMs)
    } else if (message.type === 'scale') {
      scaleAsked = { scale: message.scale, atMs: message.atMs }
      run?.setUserScale?.(message.scale, message.atMs)
    } else if (message.type === 'stop') {
      stopAsked = true
      run?.stop()
      startNow(Date.now())
    } else {
      abortAsked = true
      run?.abort()
      startNow(Date.now())
    }
  })
  proc.once('disconnect', () => {
    stopAsked = true
    run?.stop()
    startNow(Date.now())
  })
  return {
    observer: {
      onHeader: (header) => post({ type: 'header', header }),
      onSecond: (second) => post({ type: 'second', second }),
      onEnd: (end) => post({ type: 'end', end }),
    },
    startAt() {
      return new Promise<number>((resolve) => {
        if (startAtMs !== undefined) return resolve(startAtMs)
        onStartTime = resolve
        if (!proc.connected) return startNow(Date.now())
        // nothing else may keep this process alive while it waits for the parent's word
        proc.channel?.ref()
        post({ type: 'ready' })
      })
    },
    control(handle) {
      run = handle
      if (scaleAsked) handle.setUserScale?.(scaleAsked.scale, scaleAsked.atMs)
      if (abortAsked) handle.abort()
      else if (stopAsked) handle.stop()
    },
    finish(outcome) {
      return new Promise<void>((resolve) => {
        if (!proc.connected) return resolve()
        const done = () => {
          if (proc.connected) proc.disconnect()
          resolve()
        }
        if (outcome === undefined) return done()
        const { engine } = outcome
        const totals: WorkerTotals = {
          arrivals: engine.arrivals,
          droppedArrivals: engine.droppedArrivals,
          connections: engine.connections,
          waitedForConnection: engine.waitedForConnection,
          abandonedInFlight: engine.abandonedInFlight,
          stopped: engine.stopped,
          aborted: engine.aborted,
        }
        try {
          send({ type: 'totals', totals, runDir: outcome.runDir }, done)
        } catch {
          done()
        }
      })
    },
  }
}
