/**
 * A per-visit cookie jar, as small as the check-in flows need: it keeps name=value pairs from
 * Set-Cookie answers and sends them back in one Cookie header. Domain and path are ignored (a visit
 * talks to one origin); a cookie is removed by Max-Age <= 0 or an Expires date in the past.
 */
export class CookieJar {
  private readonly names: string[] = []
  private readonly values: string[] = []
  /** the Cookie header value to send; '' when the jar is empty */
  header = ''

  get size(): number {
    return this.names.length
  }

  clear(): void {
    this.names.length = 0
    this.values.length = 0
    this.header = ''
  }

  /** Takes one Set-Cookie header value. */
  set(setCookie: string): void {
    const semi = setCookie.indexOf(';')
    const pair = semi < 0 ? setCookie : setCookie.slice(0, semi)
    const eq = pair.indexOf('=')
    if (eq <= 0) return
    const name = pair.slice(0, eq).trim()
    if (name === '') return
    const value = pair.slice(eq + 1).trim()
    const expired = semi >= 0 && isExpired(setCookie.slice(semi + 1))
    const at = this.names.indexOf(name)
    if (expired) {
      if (at >= 0) {
        this.names.splice(at, 1)
        this.values.splice(at, 1)
      }
    } else if (at >= 0) {
      this.values[at] = value
    } else {
      this.names.push(name)
      this.values.push(value)
    }
    this.rebuild()
  }

  get(name: string): string | undefined {
    const at = this.names.indexOf(name)
    return at < 0 ? undefined : this.values[at]
  }

  private rebuild(): void {
    let header = ''
    for (let i = 0; i < this.names.length; i++) {
      header += `${i === 0 ? '' : '; '}${this.names[i]}=${this.values[i]}`
    }
    this.header = header
  }
}

function isExpired(attributes: string): boolean {
  for (const raw of attributes.split(';')) {
    const eq = raw.indexOf('=')
    if (eq < 0) continue
    const key = raw.slice(0, eq).trim().toLowerCase()
    const value = raw.slice(eq + 1).trim()
    if (key === 'max-age') {
      const seconds = Number(value)
      if (Number.isFinite(seconds) && seconds <= 0) return true
    } else if (key === 'expires') {
      const at = Date.parse(value)
      if (Number.isFinite(at) && at <= Date.now()) return true
    }
  }
  return false
}

/** True when a raw header name (from undici's Buffer array) is Set-Cookie, in any case. */
export function isSetCookieName(name: Buffer): boolean {
  return (
    name.length === 10 && (name[0]! | 0x20) === 0x73 && name.toString('latin1').toLowerCase() === 'set-cookie'
  )
}
