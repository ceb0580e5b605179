/**
 * Per-uuid state of the stand-in (what vets-api keeps in Redis and LoROTA keeps in its store):
 * the patient's credentials (fixed by the first successful login), the session entry (12 h),
 * the failed-login counter (7 days), the appointment identifiers cache (12 h), whether
 * set-e-check-in-started was called, and whether the lockout deleted the uuid from LoROTA.
 *
 * Memory stays bounded: an entry expires when all its TTLs have passed, and beyond `capacity`
 * entries the oldest one (by creation) is evicted. Entries are checked lazily on read, and a
 * periodic sweep removes the expired ones nobody reads again.
 */
export interface Patient {
  /** credentials fixed by the first successful login; '' until then */
  lastName: string
  dob: string
  /** session entry for this uuid (the Redis key) expires at, ms; 0 = none */
  sessionExpiresAt: number
  /** failed logins counted so far, and when that counter expires */
  retries: number
  retriesExpireAt: number
  /** appointment identifiers cached by a day-of GET patient_check_ins, until (ms); 0 = none */
  identifiersExpireAt: number
  /** set-e-check-in-started was called for this visit */
  eCheckInStarted: boolean
  /** the lockout called CHIP deleteFromLorota: LoROTA no longer knows this uuid */
  deleted: boolean
  /** the whole entry can be dropped after this time, ms */
  expiresAt: number
}

export const SESSION_TTL_MS = 12 * 3_600_000
export const RETRY_TTL_MS = 7 * 24 * 3_600_000
export const IDENTIFIERS_TTL_MS = 12 * 3_600_000
/** how long a patient's credentials are remembered without any other state (a LoROTA record) */
export const PATIENT_TTL_MS = 12 * 3_600_000
export const DEFAULT_MAX_PATIENTS = 100_000

export interface PatientStoreOptions {
  readonly capacity?: number
  readonly now: () => number
  readonly sessionTtlMs?: number
  readonly retryTtlMs?: number
  readonly identifiersTtlMs?: number
  readonly patientTtlMs?: number
}

export class PatientStore {
  readonly capacity: number
  readonly sessionTtlMs: number
  readonly retryTtlMs: number
  readonly identifiersTtlMs: number
  readonly patientTtlMs: number
  private readonly now: () => number
  private readonly map = new Map<string, Patient>()
  private evictedCount = 0

  constructor(opts: PatientStoreOptions) {
    this.capacity = Math.max(1, opts.capacity ?? DEFAULT_MAX_PATIENTS)
    this.now = opts.now
    this.sessionTtlMs = opts.sessionTtlMs ?? SESSION_TTL_MS
    this.retryTtlMs = opts.retryTtlMs ?? RETRY_TTL_MS
    this.identifiersTtlMs = opts.identifiersTtlMs ?? IDENTIFIERS_TTL_MS
    this.patientTtlMs = opts.patientTtlMs ?? PATIENT_TTL_MS
  }

  get size(): number {
    return this.map.size
  }

  /** entries dropped because the store was full */
  get evicted(): number {
    return this.evictedCount
  }

  /** The live entry for the uuid, if any (an expired one is dropped). */
  get(uuid: string): Patient | undefined {
    const patient = this.map.get(uuid)
    if (patient === undefined) return undefined
    if (patient.expiresAt <= this.now()) {
      this.map.delete(uuid)
      return undefined
    }
    return patient
  }

  /** The entry for the uuid, made empty when there is none (evicting the oldest when full). */
  getOrCreate(uuid: string): Patient {
    const existing = this.get(uuid)
    if (existing !== undefined) return existing
    if (this.map.size >= this.capacity) {
      const oldest = this.map.keys().next()
      if (!oldest.done) {
        this.map.delete(oldest.value)
        this.evictedCount++
      }
    }
    const patient: Patient = {
      lastName: '',
      dob: '',
      sessionExpiresAt: 0,
      retries: 0,
      retriesExpireAt: 0,
      identifiersExpireAt: 0,
      eCheckInStarted: false,
      deleted: false,
      expiresAt: this.now() + this.patientTtlMs,
    }
    this.map.set(uuid, patient)
    return patient
  }

  /** Is there a live session entry for the uuid (the Redis half of "authorized")? */
  hasSession(uuid: string): boolean {
    const patient = this.get(uuid)
    return patient !== undefined && patient.sessionExpiresAt > this.now()
  }

  startSession(patient: Patient): void {
    patient.sessionExpiresAt = this.now() + this.sessionTtlMs
    this.extend(patient, patient.sessionExpiresAt)
  }

  /** Counts a failed login and returns the count before it (vets-api compares that to the limit). */
  countFailedLogin(patient: Patient): number {
    const t = this.now()
    const before = patient.retriesExpireAt > t ? patient.retries : 0
    patient.retries = before + 1
    patient.retriesExpireAt = t + this.retryTtlMs
    this.extend(patient, patient.retriesExpireAt)
    return before
  }

  cacheIdentifiers(patient: Patient): void {
    patient.identifiersExpireAt = this.now() + this.identifiersTtlMs
    this.extend(patient, patient.identifiersExpireAt)
  }

  identifiersCached(patient: Patient): boolean {
    return patient.identifiersExpireAt > this.now()
  }

  /** Drops expired entries, looking at no more than `maxScan` of them, oldest first. */
  sweep(maxScan = Number.POSITIVE_INFINITY): number {
    const t = this.now()
    let scanned = 0
    let removed = 0
    for (const [uuid, patient] of this.map) {
      if (scanned++ >= maxScan) break
      if (patient.expiresAt <= t) {
        this.map.delete(uuid)
        removed++
      }
    }
    return removed
  }

  clear(): void {
    this.map.clear()
  }

  private extend(patient: Patient, until: number): void {
    if (until > patient.expiresAt) patient.expiresAt = until
  }
}
