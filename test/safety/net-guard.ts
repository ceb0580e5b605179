import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * A preload for a spawned checkin-load (NODE_OPTIONS=--import) that records every DNS lookup and
 * every connection attempt to a log file, and lets only loopback through: a lookup fails with
 * ENOTFOUND and a connection elsewhere is destroyed before it is made. So a test can both prove
 * that nothing was attempted, and be sure that nothing leaves the machine if the product regressed.
 */
const PRELOAD = `import { appendFileSync } from 'node:fs'
import dns from 'node:dns'
import net from 'node:net'
const log = process.env.CHECKIN_LOAD_NET_LOG
const record = (line) => appendFileSync(log, line + '\\n')
const loopback = (host) => host === undefined || host === 'localhost' || /^127\\./.test(host) || host === '::1'
const lookup = dns.lookup
dns.lookup = function (host, options, callback) {
  record('lookup ' + host)
  const done = typeof options === 'function' ? options : callback
  if (loopback(host)) return lookup.call(this, host, options, callback)
  const error = Object.assign(new Error('blocked by the test: getaddrinfo ENOTFOUND ' + host), { code: 'ENOTFOUND' })
  process.nextTick(() => done(error))
}
const connect = net.Socket.prototype.connect
net.Socket.prototype.connect = function (...args) {
  const first = args[0]
  const target = typeof first === 'object' && first !== null ? first : { port: first, host: args[1] }
  if (target.path === undefined) {
    record('connect ' + (target.host ?? '') + ':' + target.port)
    if (!loopback(target.host)) {
      process.nextTick(() => this.destroy(Object.assign(new Error('blocked by the test'), { code: 'ECONNREFUSED' })))
      return this
    }
  }
  return connect.apply(this, args)
}
`

export interface NetGuard {
  /** env for the child: NODE_OPTIONS with the preload, and the log file */
  readonly env: NodeJS.ProcessEnv
  /** what the child looked up or connected to, one line each */
  attempts(): string[]
}

export function netGuard(dir: string, name: string): NetGuard {
  const preload = join(dir, 'net-guard.mjs')
  writeFileSync(preload, PRELOAD)
  const log = join(dir, `${name}.net.log`)
  writeFileSync(log, '')
  return {
    env: {
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${preload}`.trim(),
      CHECKIN_LOAD_NET_LOG: log,
    },
    attempts: () => readFileSync(log, 'utf8').split('\n').filter(Boolean),
  }
}
