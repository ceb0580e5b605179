import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { UsageError } from '../errors.js'
import type { SeriesSecond, ThresholdResult } from '../model/results.js'
import type { LiveExporter, SecondContext } from './exporter-types.js'
import { PrometheusMetrics, type PrometheusMetricsOptions } from './prometheus.js'

/** The exposition over HTTP: the live exporter startExporters() loads when --prometheus-port is set. */

export interface PrometheusExporterOptions extends PrometheusMetricsOptions {
  /** interface to listen on (default 127.0.0.1) */
  readonly host: string
  /** 0: a free port */
  readonly port: number
  /** keep serving this long after the run, so the last scrape sees the end */
  readonly lingerMs: number
}

/** The Prometheus exporter: the metrics and a node:http server answering GET /metrics (404 otherwise). */
export class PrometheusExporter implements LiveExporter {
  readonly name = 'prometheus'
  readonly metrics: PrometheusMetrics
  /** http://host:port/metrics, with the port actually bound */
  readonly url: string
  private readonly server: Server
  private readonly lingerMs: number
  private closing: Promise<void> | undefined

  private constructor(metrics: PrometheusMetrics, server: Server, url: string, lingerMs: number) {
    this.metrics = metrics
    this.server = server
    this.url = url
    this.lingerMs = lingerMs
  }

  static async start(options: PrometheusExporterOptions): Promise<PrometheusExporter> {
    const metrics = new PrometheusMetrics(options)
    const server = createServer((req, res) => serve(metrics, req, res))
    server.keepAliveTimeout = 10_000
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(listenError(error, options.host, options.port)),
      )
      server.listen(options.port, options.host, () => resolve())
    })
    const { port } = server.address() as AddressInfo
    const host = options.host.includes(':') ? `[${options.host}]` : options.host
    return new PrometheusExporter(metrics, server, `http://${host}:${port}/metrics`, options.lingerMs)
  }

  onSecond(second: SeriesSecond, context: SecondContext): void {
    this.metrics.onSecond(second, context)
  }

  onUserScale(scale: number): void {
    this.metrics.onUserScale(scale)
  }

  onThresholds(results: readonly ThresholdResult[]): void {
    this.metrics.onThresholds(results)
  }

  /** Serves lingerMs more, then stops; idempotent. */
  close(options: { linger?: boolean } = {}): Promise<void> {
    this.closing ??= (async () => {
      if (options.linger !== false && this.lingerMs > 0)
        await new Promise((r) => setTimeout(r, this.lingerMs))
      await new Promise<void>((resolve) => {
        this.server.close(() => resolve())
        this.server.closeAllConnections()
      })
    })()
    return this.closing
  }
}

function serve(metrics: PrometheusMetrics, req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0]
  if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
    res.end('not found: checkin-load serves /metrics only\n')
    return
  }
  metrics.metrics().then(
    (text) => {
      res.writeHead(200, { 'content-type': metrics.registry.contentType })
      res.end(req.method === 'HEAD' ? undefined : text)
    },
    (error: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
      res.end(`${String(error)}\n`)
    },
  )
}

function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  const where = `--prometheus-port ${port} on ${host}`
  if (error.code === 'EADDRINUSE')
    return new UsageError(`${where}: the port is in use; pick another or 0 for a free one`)
  if (error.code === 'EACCES') return new UsageError(`${where}: permission denied; use a port above 1023`)
  if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND')
    return new UsageError(`${where}: no such local address (see --prometheus-host)`)
  return error
}
