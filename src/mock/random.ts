/**
 * The stand-in's seeded randomness: delays, faults and per-uuid response bodies all come from
 * --seed, so two stand-ins with the same seed answer a uuid with the same body. Not cryptographic.
 */

/** sfc32 seeded through splitmix32: fast, 32-bit words, period about 2^128. */
export class SeededRandom {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor(seed: number, stream = 0) {
    let s = (mix32(seed >>> 0) ^ Math.imul(stream + 1, 0x165667b1) ^ Math.floor(seed / 4_294_967_296)) >>> 0
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0
      return mix32(s)
    }
    this.a = next()
    this.b = next()
    this.c = next()
    this.d = next()
    for (let i = 0; i < 12; i++) this.nextUint32()
  }

  /** a uniformly distributed integer in [0, 2^32) */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  /** a uniformly distributed float in [0, 1) */
  next(): number {
    return this.nextUint32() / 4_294_967_296
  }

  /** an integer in [0, n) */
  below(n: number): number {
    return Math.floor(this.next() * n)
  }

  /** one element of a non-empty list */
  pick<T>(list: readonly T[]): T {
    return list[this.below(list.length)]!
  }

  /** a standard normal deviate (Box-Muller, one of the pair) */
  normal(): number {
    let u = this.next()
    while (u === 0) u = this.next()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next())
  }
}

/** A 32-bit integer finalizer (murmur3's fmix32). */
export function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b)
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
  return (x ^ (x >>> 16)) >>> 0
}

/** FNV-1a over the string's UTF-16 units, mixed with the seed: picks per-uuid variants. */
export function hashString(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ mix32(seed >>> 0)) >>> 0
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return mix32(h)
}

/** z of the 99th percentile of the standard normal distribution */
export const Z99 = 2.3263478740408408

/**
 * Lognormal parameters from a mean and a 99th percentile (both > 0): with mu + sigma^2/2 = ln(mean)
 * and mu + Z99 sigma = ln(p99), sigma is the smaller root of sigma^2/2 - Z99 sigma + ln(p99/mean) = 0.
 * A p99 at or below the mean gives sigma 0 (a constant); a p99 above ~15x the mean has no exact
 * solution and gets the largest sigma (Z99), which keeps the mean.
 */
export function lognormalParams(meanMs: number, p99Ms: number): { mu: number; sigma: number } {
  const gap = Math.log(p99Ms / meanMs)
  let sigma = 0
  if (gap > 0) {
    const disc = Z99 * Z99 - 2 * gap
    sigma = disc > 0 ? Z99 - Math.sqrt(disc) : Z99
  }
  return { mu: Math.log(meanMs) - (sigma * sigma) / 2, sigma }
}
