import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { PresetName } from '../model/downstream.js'

/**
 * The stand-in as a child process: `node bin/checkin-load.js mock --port 0 ...`, resolved once the
 * child prints its listening line. This is how `checkin-load run` starts the embedded target: the
 * stand-in gets its own event loop (and core), so it does not steal time from the generator.
 */
export interface MockProcessOptions {
  readonly preset?: PresetName
  readonly workers?: number
  readonly timeScale?: number
  readonly errorRate?: number
  readonly seed?: number
  readonly backlogCap?: number
  /** origins allowed by CORS (default: the stand-in's, va.gov's and localhost:3001) */
  readonly webOrigins?: readonly string[]
  /** serve HTTPS with a certificate made at start; the CA's file is then `MockProcess.caPath` */
  readonly tls?: boolean
  /** default 0 (a free port) */
  readonly port?: number
  /** default 127.0.0.1 */
  readonly host?: string
  /** extra arguments for node before the script, e.g. ['--max-old-space-size=512'] */
  readonly nodeArgs?: readonly string[]
  /** each line the child writes to stderr (its error log); default: dropped */
  readonly onLog?: (line: string) => void
  /** how long to wait for the listening line, ms (default 15 s) */
  readonly startTimeoutMs?: number
  /** how long stop() waits after SIGTERM before SIGKILL, ms (default 15 s) */
  readonly stopTimeoutMs?: number
}

export interface MockProcess {
  /** http://HOST:PORT, or https:// with tls */
  readonly url: string
  /** with tls: the PEM file of the CA to trust (removed at stop) */
  readonly caPath?: string
  readonly pid: number
  /** SIGTERM, wait for the exit (the child finishes requests in flight), SIGKILL after a bound */
  stop(): Promise<void>
}

/** dist/src/mock/process.js -> <repo>/bin/checkin-load.js */
export const BIN_PATH = fileURLToPath(new URL('../../../bin/checkin-load.js', import.meta.url))

export const LISTENING_RE = /^checkin-load mock listening on (https?:\/\/\S+)$/

export function mockArgs(opts: MockProcessOptions, tlsDir?: string): string[] {
  const args = ['mock', '--host', opts.host ?? '127.0.0.1', '--port', String(opts.port ?? 0)]
  if (opts.preset !== undefined) args.push('--preset', opts.preset)
  if (opts.workers !== undefined) args.push('--workers', String(opts.workers))
  if (opts.timeScale !== undefined) args.push('--time-scale', String(opts.timeScale))
  if (opts.errorRate !== undefined) args.push('--error-rate', String(opts.errorRate))
  if (opts.seed !== undefined) args.push('--seed', String(opts.seed))
  if (opts.backlogCap !== undefined) args.push('--backlog-cap', String(opts.backlogCap))
  if (opts.webOrigins !== undefined) args.push('--web-origin', opts.webOrigins.join(','))
  if (tlsDir !== undefined) args.push('--tls', '--tls-dir', tlsDir)
  if (opts.onLog === undefined) args.push('--quiet')
  // the child stops when our end of its stdin closes: it never outlives us, even after a SIGKILL
  args.push('--stop-on-stdin-end')
  return args
}

export function startMockProcess(opts: MockProcessOptions = {}): Promise<MockProcess> {
  // the certificate's folder is ours: the child writes there, we know the CA's path and remove it
  const tlsDir = opts.tls ? mkdtempSync(join(tmpdir(), 'checkin-load-mock-tls-')) : undefined
  const removeTlsDir = () => {
    if (tlsDir !== undefined) rmSync(tlsDir, { recursive: true, force: true })
  }
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), BIN_PATH, ...mockArgs(opts, tlsDir)], {
    stdio: ['pipe', 'pipe', 'pipe'],
    // its own process group: a Ctrl-C in the terminal reaches the run, which then stops the
    // stand-in after the visits in flight finished (it dies with us anyway: --stop-on-stdin-end)
    detached: true,
  })
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => resolve())
  }).finally(removeTlsDir)
  let stderrTail = ''
  forEachLine(child.stderr!, (line) => {
    stderrTail = `${stderrTail}${line}\n`.slice(-2000)
    opts.onLog?.(line)
  })

  return new Promise<MockProcess>((resolve, reject) => {
    let settled = false
    const fail = (message: string) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      child.kill('SIGKILL')
      const tail = stderrTail.trim()
      reject(new Error(`the stand-in did not start: ${message}${tail ? `\n${tail}` : ''}`))
    }
    const timer = setTimeout(
      () => fail(`no listening line within ${opts.startTimeoutMs ?? 15_000} ms`),
      opts.startTimeoutMs ?? 15_000,
    )
    child.once('error', (error) => fail(error.message))
    child.once('exit', (code, signal) => fail(`it exited (${signal ?? `code ${code}`})`))
    let first = true
    forEachLine(child.stdout!, (line) => {
      if (!first) return
      first = false
      const match = LISTENING_RE.exec(line)
      if (match === null) return fail(`unexpected first line: ${line}`)
      settled = true
      clearTimeout(timer)
      resolve({
        url: match[1]!,
        ...(tlsDir !== undefined && { caPath: join(tlsDir, 'ca.pem') }),
        pid: child.pid!,
        stop: () => stopChild(child, exited, opts.stopTimeoutMs ?? 15_000),
      })
    })
  })
}

async function stopChild(child: ChildProcess, exited: Promise<void>, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  let timer: NodeJS.Timeout | undefined
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL')
      resolve()
    }, timeoutMs)
  })
  await Promise.race([exited, killed])
  clearTimeout(timer)
  await exited
  child.stdin?.destroy()
}

/** Calls onLine for each line a child prints (node:readline splits them, \r\n included). */
function forEachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', onLine)
}
