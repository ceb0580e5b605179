/**
 * Test data for the check-in flows, generated per visit from a seeded source, so a run with
 * --seed sends the same visits again. The check-in API validates (checkin-api.md §2): a UUID of
 * lowercase hex, a DOB as YYYY-MM-DD, a last name of 1 to 600 characters.
 *
 * Variables a profile's `{{var}}` templates may use:
 *   uuid            random v4 UUID (the check-in link's token), one per visit
 *   lastName        a common US last name
 *   firstName       a common US first name
 *   dob             birth date YYYY-MM-DD, 1930-2005
 *   appointmentIen  appointment IEN, a number 1-99999 as text
 *   today           the run's date, YYYY-MM-DD (UTC)
 */
export interface RandomSource {
  /** a uniformly distributed integer in [0, 2^32) */
  nextUint32(): number
}

export const VISIT_VARIABLES = ['uuid', 'lastName', 'firstName', 'dob', 'appointmentIen', 'today'] as const
export type VisitVariable = (typeof VISIT_VARIABLES)[number]

export const LAST_NAMES = [
  'Smith',
  'Johnson',
  'Williams',
  'Brown',
  'Jones',
  'Garcia',
  'Miller',
  'Davis',
  'Rodriguez',
  'Martinez',
  'Hernandez',
  'Lopez',
  'Gonzalez',
  'Wilson',
  'Anderson',
  'Thomas',
  'Taylor',
  'Moore',
  'Jackson',
  'Martin',
  'Lee',
  'Perez',
  'Thompson',
  'White',
  'Harris',
  'Sanchez',
  'Clark',
  'Ramirez',
  'Lewis',
  'Robinson',
  'Walker',
  'Young',
  'Allen',
  'King',
  'Wright',
  'Scott',
  'Torres',
  'Nguyen',
  'Hill',
  'Flores',
  'Green',
  'Adams',
  'Nelson',
  'Baker',
  'Hall',
  'Rivera',
  'Campbell',
  'Mitchell',
  'Carter',
  "O'Neil",
] as const

export const FIRST_NAMES = [
  'James',
  'Mary',
  'Robert',
  'Patricia',
  'John',
  'Jennifer',
  'Michael',
  'Linda',
  'David',
  'Elizabeth',
  'William',
  'Barbara',
  'Richard',
  'Susan',
  'Joseph',
  'Jessica',
  'Thomas',
  'Sarah',
  'Charles',
  'Karen',
  'Christopher',
  'Lisa',
  'Daniel',
  'Nancy',
  'Matthew',
  'Betty',
  'Anthony',
  'Margaret',
  'Mark',
  'Sandra',
] as const

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

function hex32(word: number): string {
  return HEX[word >>> 24]! + HEX[(word >>> 16) & 0xff]! + HEX[(word >>> 8) & 0xff]! + HEX[word & 0xff]!
}

/** A random (version 4, RFC 9562 variant) UUID in lowercase hex from the seeded source. */
export function randomUuidV4(rng: RandomSource): string {
  const a = rng.nextUint32()
  const b = (rng.nextUint32() & 0xffff0fff) | 0x00004000 // version 4 in the 13th hex digit
  const c = (rng.nextUint32() & 0x3fffffff) | 0x80000000 // variant 10xx in the 17th hex digit
  const d = rng.nextUint32()
  const hb = hex32(b >>> 0)
  const hc = hex32(c >>> 0)
  return `${hex32(a)}-${hb.slice(0, 4)}-${hb.slice(4)}-${hc.slice(0, 4)}-${hc.slice(4)}${hex32(d)}`
}

const below = (rng: RandomSource, n: number) => rng.nextUint32() % n
const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n))

/** A birth date between 1930-01-01 and 2005-12-28, as YYYY-MM-DD (days 1-28: always valid). */
export function randomDob(rng: RandomSource): string {
  return `${1930 + below(rng, 76)}-${pad2(1 + below(rng, 12))}-${pad2(1 + below(rng, 28))}`
}

export function isoDate(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10)
}

/**
 * The per-visit data source the engine fills its templates from: variable names, and a fill
 * that writes one visit's values in that order.
 */
export interface CheckinVisitData {
  readonly names: readonly VisitVariable[]
  fill(rng: RandomSource, out: string[]): void
}

export function checkinVisitData(today: string = isoDate(Date.now())): CheckinVisitData {
  return {
    names: VISIT_VARIABLES,
    fill(rng, out) {
      out[0] = randomUuidV4(rng)
      out[1] = LAST_NAMES[below(rng, LAST_NAMES.length)]!
      out[2] = FIRST_NAMES[below(rng, FIRST_NAMES.length)]!
      out[3] = randomDob(rng)
      out[4] = String(1 + below(rng, 99_999))
      out[5] = today
    },
  }
}
