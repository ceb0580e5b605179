import { RawTransport } from './raw.js'
import type { HttpTransport, Transport, TransportOptions } from './transport.js'
import { UndiciTransport } from './undici.js'

export {
  type HttpTransport,
  type OutgoingRequest,
  type PoolConnection,
  type PoolLink,
  parseTransport,
  TRANSPORTS,
  type Transport,
  type TransportOptions,
} from './transport.js'

/** The engine's one transport object: the only place that tells the two apart. */
export function createTransport(kind: Transport, options: TransportOptions): HttpTransport {
  return kind === 'undici' ? new UndiciTransport(options) : new RawTransport(options)
}
