import { DOWNSTREAM_CALLS, type DownstreamCall, type MockPreset } from '../model/downstream.js'
import { lognormalParams, type SeededRandom } from './random.js'

/**
 * The mocked downstream services (LoROTA, CHIP, BTSSS). A request's chain of calls (from
 * `downstreamChain()` of src/model/downstream.ts) is planned at once: each call draws its delay
 * from the preset's distribution (x --time-scale) and fails with probability --error-rate; the
 * chain stops at the first failure that is not swallowed. The request then waits the chain's total
 * delay with one timer, holding its worker, and answers from the plan.
 *
 * The CHIP service token is shared by all users and cached 14 minutes (checkin-api.md §2): when the
 * cache is cold, `chip_token` is called before the first CHIP call of the chain.
 */

/** What a failing downstream call answered: not found, internal error, or a gateway timeout. */
export const FAULT_STATUSES = [404, 500, 504] as const
export type FaultStatus = (typeof FAULT_STATUSES)[number]

export const CALL_OUTCOMES = ['ok', 'error', 'denied'] as const
/** ok; error = an injected fault; denied = LoROTA refused the credentials (401) */
export type CallOutcome = (typeof CALL_OUTCOMES)[number]

export interface ChainPlan {
  /** total time the request waits for its downstream calls, ms (time-scaled) */
  readonly delayMs: number
  /** calls made, in order (chip_token included when the cache was cold) */
  readonly calls: readonly DownstreamCall[]
  /** the call whose failure ends the chain, if any (swallowed failures are not reported here) */
  readonly failedCall: DownstreamCall | undefined
  readonly faultStatus: FaultStatus | undefined
}

export interface PlanOptions {
  /**
   * calls from this index of the given chain on: their failures are swallowed (the answer is still
   * a success); never the CHIP token's, which fails the request even before a swallowed call
   */
  readonly swallowFrom?: number
  /** this call is answered "denied" by its service (a LoROTA 401), unless it failed first */
  readonly deniedCall?: DownstreamCall
}

const CALL_INDEX = Object.fromEntries(DOWNSTREAM_CALLS.map((call, i) => [call, i])) as Record<
  DownstreamCall,
  number
>
export const CHIP_TOKEN_TTL_MS = 14 * 60_000

export interface DownstreamOptions {
  readonly preset: MockPreset
  readonly timeScale: number
  readonly errorRate: number
  readonly faultStatuses: readonly FaultStatus[]
  readonly random: SeededRandom
  /** wall clock, ms */
  readonly now: () => number
  readonly chipTokenTtlMs?: number
}

const CHIP = Object.fromEntries(DOWNSTREAM_CALLS.map((call) => [call, call.startsWith('chip_')])) as Record<
  DownstreamCall,
  boolean
>
export const isChipCall = (call: DownstreamCall): boolean => CHIP[call]

export class DownstreamSimulator {
  private readonly kind: Uint8Array // 0 constant, 1 lognormal
  private readonly constMs: Float64Array
  private readonly mu: Float64Array
  private readonly sigma: Float64Array
  private readonly errorRate: number
  private readonly faultStatuses: readonly FaultStatus[]
  private readonly random: SeededRandom
  private readonly now: () => number
  private readonly tokenTtlMs: number
  /** the shared CHIP token is valid in [tokenValidFrom, tokenExpiresAt) */
  private tokenValidFrom = Number.POSITIVE_INFINITY
  private tokenExpiresAt = Number.NEGATIVE_INFINITY
  /** calls made, by call index x outcome index */
  readonly counts: Float64Array

  constructor(opts: DownstreamOptions) {
    const n = DOWNSTREAM_CALLS.length
    this.kind = new Uint8Array(n)
    this.constMs = new Float64Array(n)
    this.mu = new Float64Array(n)
    this.sigma = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      const delay = opts.preset.delays[DOWNSTREAM_CALLS[i]!]
      if (delay.kind === 'constant' || opts.timeScale === 0) {
        this.constMs[i] = (delay.kind === 'constant' ? delay.ms : delay.meanMs) * opts.timeScale
      } else {
        const { mu, sigma } = lognormalParams(delay.meanMs, delay.p99Ms)
        this.kind[i] = 1
        this.mu[i] = mu + Math.log(opts.timeScale)
        this.sigma[i] = sigma
      }
    }
    this.errorRate = opts.errorRate
    this.faultStatuses = opts.faultStatuses.length > 0 ? opts.faultStatuses : FAULT_STATUSES
    this.random = opts.random
    this.now = opts.now
    this.tokenTtlMs = opts.chipTokenTtlMs ?? CHIP_TOKEN_TTL_MS
    this.counts = new Float64Array(n * CALL_OUTCOMES.length)
  }

  /** One draw of the call's delay, ms (time-scaled). */
  sampleDelayMs(call: DownstreamCall): number {
    const i = CALL_INDEX[call]
    return this.kind[i] === 0
      ? this.constMs[i]!
      : Math.exp(this.mu[i]! + this.sigma[i]! * this.random.normal())
  }

  /** Is the shared CHIP token cached (and usable) right now? */
  chipTokenWarm(): boolean {
    const t = this.now()
    return t >= this.tokenValidFrom && t < this.tokenExpiresAt
  }

  /** Forgets the CHIP token (tests). */
  expireChipToken(): void {
    this.tokenValidFrom = Number.POSITIVE_INFINITY
    this.tokenExpiresAt = Number.NEGATIVE_INFINITY
  }

  /**
   * Plans a chain: delays, faults, the CHIP token when the cache is cold, and counts every call.
   * Calls are counted when planned (they start then); the answer comes after `delayMs`.
   */
  plan(chain: readonly DownstreamCall[], options?: PlanOptions): ChainPlan {
    if (chain.length === 0) return EMPTY_PLAN
    let swallowFrom = options?.swallowFrom ?? chain.length
    const deniedCall = options?.deniedCall
    let calls = chain
    const needsToken = !this.chipTokenWarm() && chain.some(isChipCall)
    if (needsToken) {
      const firstChip = chain.findIndex(isChipCall)
      calls = [...chain.slice(0, firstChip), 'chip_token', ...chain.slice(firstChip)]
      // the token fetch sits outside the CHIP client's rescue (V2::Chip::Service#token): its own
      // failure is never swallowed (checked below); the calls after it keep their place
      if (swallowFrom >= chain.length) swallowFrom = calls.length
      else if (swallowFrom > firstChip) swallowFrom++
    }
    let delayMs = 0
    let made = 0
    let failedCall: DownstreamCall | undefined
    let faultStatus: FaultStatus | undefined
    for (let i = 0; i < calls.length; i++) {
      const call = calls[i]!
      delayMs += this.sampleDelayMs(call)
      made = i + 1
      const failed = this.errorRate > 0 && this.random.next() < this.errorRate
      const outcome = failed ? 1 : call === deniedCall ? 2 : 0
      this.counts[CALL_INDEX[call] * CALL_OUTCOMES.length + outcome]! += 1
      if (call === 'chip_token' && !failed) {
        const validFrom = this.now() + delayMs
        if (validFrom < this.tokenValidFrom || this.now() >= this.tokenExpiresAt) {
          this.tokenValidFrom = validFrom
          this.tokenExpiresAt = validFrom + this.tokenTtlMs
        }
      }
      if (failed) {
        // swallowed: the rest of the chain is skipped, the answer is a success
        if (i >= swallowFrom && call !== 'chip_token') break
        failedCall = call
        faultStatus = this.faultStatuses[this.random.below(this.faultStatuses.length)]!
        break
      }
    }
    return {
      delayMs,
      calls: made === calls.length ? calls : calls.slice(0, made),
      failedCall,
      faultStatus,
    }
  }

  /** Counts a call made outside a request's chain (a background job's). */
  countCall(call: DownstreamCall, outcome: CallOutcome): void {
    this.counts[CALL_INDEX[call] * CALL_OUTCOMES.length + CALL_OUTCOMES.indexOf(outcome)]! += 1
  }

  /** Draws whether a lone call fails (background jobs). */
  drawFault(): boolean {
    return this.errorRate > 0 && this.random.next() < this.errorRate
  }

  /** calls made so far, by call and outcome (non-zero entries only) */
  callCounts(): { call: DownstreamCall; outcome: CallOutcome; count: number }[] {
    const out: { call: DownstreamCall; outcome: CallOutcome; count: number }[] = []
    for (let i = 0; i < DOWNSTREAM_CALLS.length; i++) {
      for (let j = 0; j < CALL_OUTCOMES.length; j++) {
        const count = this.counts[i * CALL_OUTCOMES.length + j]!
        if (count > 0) out.push({ call: DOWNSTREAM_CALLS[i]!, outcome: CALL_OUTCOMES[j]!, count })
      }
    }
    return out
  }
}

const EMPTY_PLAN: ChainPlan = { delayMs: 0, calls: [], failedCall: undefined, faultStatus: undefined }
