/**
 * A small seeded pseudo-random generator (sfc32, seeded through splitmix32), so that arrivals and
 * test data are reproducible with --seed. Not cryptographic; fast, 32-bit state words, period
 * about 2^128. Streams split one seed into independent generators (one per flow, one per shard).
 */
export interface Rng {
  /** a uniformly distributed integer in [0, 2^32) */
  nextUint32(): number
  /** a uniformly distributed float in [0, 1) */
  next(): number
  /** an exponentially distributed float with mean 1 (the gap of a unit-rate Poisson process) */
  exponential(): number
}

function splitmix32(state: number): () => number {
  let s = state >>> 0
  return () => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return (z ^ (z >>> 16)) >>> 0
  }
}

const TWO_POW_32 = 4_294_967_296

export class Sfc32 implements Rng {
  private a: number
  private b: number
  private c: number
  private d: number

  /** `seed` and `stream` may be any integers (negative and > 2^32 included). */
  constructor(seed: number, stream = 0) {
    const lo = seed >>> 0
    const hi = Math.floor(seed / TWO_POW_32) >>> 0
    const mix = splitmix32(lo ^ Math.imul(hi, 0x27d4eb2f) ^ Math.imul(stream + 1, 0x165667b1))
    this.a = mix()
    this.b = mix()
    this.c = mix()
    this.d = 1
    for (let i = 0; i < 12; i++) this.nextUint32()
  }

  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0
    this.d = (this.d + 1) >>> 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) >>> 0
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0
    this.c = (this.c + t) >>> 0
    return t
  }

  next(): number {
    return this.nextUint32() / TWO_POW_32
  }

  exponential(): number {
    // 1 - next() is in (0, 1]: the log is finite
    return -Math.log(1 - this.next())
  }
}

export function createRng(seed: number, stream = 0): Rng {
  return new Sfc32(seed, stream)
}

/** A seed for runs without --seed: random, and written to the results so the run can be replayed. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31)
}
