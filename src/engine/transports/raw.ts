import { isIP } from 'node:net'
import { performance } from 'node:perf_hooks'
import { createSecureContext } from 'node:tls'
import { RawConnection, type RawEndpoint } from '../raw/connection.js'
import {
  buildRawRequest,
  isAscii,
  type RawRequest,
  renderRawRequest,
  safeHeaderValue,
} from '../raw/request.js'
import type {
  HttpTransport,
  OutgoingRequest,
  PoolConnection,
  PoolLink,
  TransportOptions,
} from './transport.js'

/** how often the raw transport checks its deadlines (ms) */
const DEADLINE_TICK_MS = 20

/**
 * The default transport (src/engine/raw/): a socket per connection, each step's request bytes
 * prebuilt once, a minimal HTTP/1.1 response parser, and the deadlines of every connection checked
 * on one coarse tick (not a timer per request). A connection is free again as soon as its answer
 * is in.
 */
export class RawTransport implements HttpTransport {
  readonly kind = 'raw'
  private readonly endpoint: RawEndpoint
  /** per flow, per step: the prebuilt request bytes */
  private readonly requests: readonly (readonly RawRequest[])[]
  private readonly connections: RawConnection[] = []
  private deadlineTimer: NodeJS.Timeout | undefined
  private readonly clock: { readonly t0: number }

  constructor(options: TransportOptions) {
    const url = new URL(options.origin)
    const tls = url.protocol === 'https:'
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
    this.endpoint = {
      host,
      port: url.port === '' ? (tls ? 443 : 80) : Number(url.port),
      tls,
      servername: tls && isIP(host) === 0 ? host : undefined,
      ca: options.ca,
      secureContext: tls
        ? createSecureContext(options.ca !== undefined ? { ca: options.ca } : {})
        : undefined,
      insecure: options.insecure === true,
      timeoutMs: options.timeoutMs,
    }
    this.clock = options.clock
    this.deadlineTimer = setInterval(() => this.checkDeadlines(), DEADLINE_TICK_MS)
    this.deadlineTimer.unref()
    this.requests = options.flows.map((flow) => flow.steps.map((step) => buildRawRequest(step, url.host)))
  }

  open(pool: PoolLink): RawConnection {
    const conn = new RawConnection(pool, this.endpoint)
    this.connections.push(conn)
    return conn
  }

  dispatch(visit: OutgoingRequest, conn: PoolConnection): void {
    const step = visit.step
    const values = visit.values
    const raw = this.requests[visit.flow.index]![visit.stepIndex]!
    const path = step.path.isStatic ? step.path.parts[0]! : step.path.render(values)
    const body =
      step.body === null ? null : step.body.isStatic ? step.body.parts[0]! : step.body.render(values)
    const bodyBytes = body === null ? 0 : Buffer.byteLength(body)
    // an all-ASCII request is written as latin1: the same bytes, ~9% cheaper (bench/raw-writes.ts)
    let latin1 = raw.ascii && (body === null || bodyBytes === body.length)
    let extra = ''
    const dynamic = step.dynamicHeaders
    for (let i = 0; i < dynamic.length; i++) {
      const value = safeHeaderValue(dynamic[i]![1].render(values))
      if (latin1 && !isAscii(value)) latin1 = false
      extra += `${dynamic[i]![0]}: ${value}\r\n`
    }
    // a preflight goes without cookies, as a browser sends it
    const cookie = step.preflight ? '' : visit.jar.header
    const request = renderRawRequest(raw, path, extra, cookie, body, bodyBytes)
    const sendMs = visit.markSent(conn)
    ;(conn as RawConnection).send(request, visit, raw.head, this.clock.t0 + sendMs, latin1)
  }

  stop(): void {
    if (this.deadlineTimer !== undefined) clearInterval(this.deadlineTimer)
    this.deadlineTimer = undefined
  }

  /** the one coarse tick: requests and connects past their deadline fail */
  private checkDeadlines(): void {
    const now = performance.now()
    const connections = this.connections
    // closed connections leave the list (a connection per visit closes one per visit)
    let kept = 0
    for (let i = 0; i < connections.length; i++) {
      const conn = connections[i]!
      if (conn.retired) continue
      conn.checkDeadline(now)
      connections[kept++] = conn
    }
    connections.length = kept
  }
}
