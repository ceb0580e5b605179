import { hashString, SeededRandom } from './random.js'

/**
 * The generated bodies of GET patient_check_ins and GET pre_check_ins (checkin-api.md §4.3, §4.5)
 * and of PATCH demographics (§4.7), shaped like vets-api's serializer output.
 *
 * Deterministic for a seed: at start the generator draws VARIANTS pre-serialized demographics,
 * appointment lists and demographics statuses from the seed; a uuid's hash (with the seed) picks
 * one of each, so a uuid always gets the same body and different uuids get different mixes. The
 * hot path only concatenates strings.
 */
const VARIANTS = 64

const STREETS = [
  'Meadowbrook Mall Road',
  'Oak Street',
  'Maple Avenue',
  'Cedar Lane',
  'Pine Road',
  'Elm Street',
]
const CITIES: readonly (readonly [string, string, string, string])[] = [
  ['Beverly Hills', 'Los Angeles', 'CA', '90210'],
  ['Atlanta', 'Fulton', 'GA', '30303'],
  ['Tampa', 'Hillsborough', 'FL', '33602'],
  ['Denver', 'Denver', 'CO', '80202'],
  ['Seattle', 'King', 'WA', '98101'],
  ['Austin', 'Travis', 'TX', '78701'],
]
const FIRST_NAMES = ['Joe', 'Michael', 'Maria', 'Linda', 'James', 'Susan', 'Robert', 'Karen']
const RELATIONSHIPS = ['Brother', 'Sister', 'Spouse', 'Son', 'Daughter', 'Friend']
const CLINICS: readonly (readonly [string, string, string])[] = [
  ['Family Wellness', 'Health Wellness', 'SOCIAL WORK SERVICE'],
  ['Primary Care Blue', 'Primary Care', 'PRIMARY CARE/MEDICINE'],
  ['Cardiology', 'Heart Clinic', 'CARDIOLOGY'],
  ['Mental Health Green', 'Mental Health', 'MENTAL HEALTH CLINIC'],
  ['Audiology', 'Hearing Clinic', 'AUDIOLOGY'],
]
const FACILITIES: readonly (readonly [string, string, string])[] = [
  ['VEHU DIVISION', 'ATLANTA VAMC', '500'],
  ['CHEYENNE VAMC', 'CHEYENNE', '442'],
  ['TAMPA VAMC', 'JAMES A. HALEY', '673'],
]

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n))

function phone(r: SeededRandom): string {
  return `${200 + r.below(800)}-${100 + r.below(900)}-${1000 + r.below(9000)}`
}

function address(r: SeededRandom) {
  const [city, county, state, zip] = r.pick(CITIES)
  return {
    street1: `${100 + r.below(9900)} ${r.pick(STREETS)}`,
    street2: '',
    street3: '',
    city,
    county,
    state,
    zip,
    zip4: null,
    country: 'USA',
  }
}

function contact(r: SeededRandom) {
  return {
    name: r.pick(FIRST_NAMES),
    relationship: r.pick(RELATIONSHIPS),
    phone: phone(r),
    workPhone: phone(r),
    address: address(r),
  }
}

function demographics(r: SeededRandom) {
  const home = address(r)
  return {
    mailingAddress: r.next() < 0.7 ? home : address(r),
    homeAddress: home,
    homePhone: phone(r),
    mobilePhone: phone(r),
    workPhone: phone(r),
    emailAddress: `veteran${r.below(100_000)}@example.com`,
    nextOfKin1: contact(r),
    emergencyContact: contact(r),
  }
}

function confirmedAt(r: SeededRandom, today: string): string | null {
  return r.next() < 0.3 ? null : `${today}T0${r.below(8)}:${pad2(r.below(60))}:00.000-05:00`
}

function demographicsStatus(r: SeededRandom, today: string) {
  return {
    demographicsNeedsUpdate: r.next() < 0.5,
    demographicsConfirmedAt: confirmedAt(r, today),
    nextOfKinNeedsUpdate: r.next() < 0.5,
    nextOfKinConfirmedAt: confirmedAt(r, today),
    emergencyContactNeedsUpdate: r.next() < 0.5,
    emergencyContactConfirmedAt: confirmedAt(r, today),
  }
}

function appointments(r: SeededRandom, today: string, oracleHealth: boolean) {
  const count = 1 + r.below(3)
  const list: Record<string, unknown>[] = []
  for (let i = 0; i < count; i++) {
    const [clinicName, friendly, stopCode] = r.pick(CLINICS)
    const [facility, location, station] = r.pick(FACILITIES)
    const hour = 8 + r.below(9)
    const minute = r.pick([0, 15, 30, 45])
    const start = `${today}T${pad2(hour)}:${pad2(minute)}:00`
    const windowStart = `${today}T${pad2(hour - 1)}:${pad2(minute)}:00.000-05:00`
    const windowEnd = `${today}T${pad2(hour)}:${pad2(minute + 10)}:00.000-05:00`
    const ien = String(1 + r.below(99_999))
    const clinicIen = 100 + r.below(900)
    const common = {
      appointmentIEN: ien,
      checkedInTime: '',
      checkInSteps: {},
      checkInWindowStart: windowStart,
      checkInWindowEnd: windowEnd,
      clinicCreditStopCodeName: stopCode,
      clinicFriendlyName: friendly,
      clinicLocation: location,
      clinicName,
      clinicPhoneNumber: phone(r),
      clinicStopCodeName: 'PRIMARY CARE/MEDICINE',
      doctorName: '',
      eligibility: 'ELIGIBLE',
      facility,
      kind: 'clinic',
      startTime: start,
    }
    list.push(
      oracleHealth
        ? {
            ...common,
            clinicIen: String(clinicIen),
            stationNo: station,
            status: 'Confirmed',
            facilityAddress: {
              street1: `${100 + r.below(900)} Clinic Way`,
              street2: '',
              street3: '',
              city: 'Atlanta',
              state: 'GA',
              zip: '30303',
            },
            timezone: 'America/New_York',
          }
        : { ...common, clinicIen, stationNo: Number(station), status: '' },
    )
  }
  return list
}

export interface BodyGeneratorOptions {
  readonly seed: number
  /** the date of the appointments, YYYY-MM-DD */
  readonly today: string
}

export class BodyGenerator {
  private readonly seed: number
  private readonly demographics: string[] = []
  private readonly appointments: string[] = []
  private readonly ohAppointments: string[] = []
  private readonly statuses: string[] = []
  private readonly ohAddresses: string[] = []
  private readonly demographicsAnswers: string[] = []

  constructor(opts: BodyGeneratorOptions) {
    this.seed = opts.seed
    const r = new SeededRandom(opts.seed, 7)
    for (let i = 0; i < VARIANTS; i++) {
      this.demographics.push(JSON.stringify(demographics(r)))
      this.appointments.push(JSON.stringify(appointments(r, opts.today, false)))
      this.ohAppointments.push(JSON.stringify(appointments(r, opts.today, true)))
      this.statuses.push(JSON.stringify(demographicsStatus(r, opts.today)))
      const [city, , state, zip] = r.pick(CITIES)
      this.ohAddresses.push(
        JSON.stringify(`${100 + r.below(9900)} ${r.pick(STREETS)}, ${city}, ${state} ${zip}`),
      )
      const dfn = 1 + r.below(99_999)
      this.demographicsAnswers.push(
        JSON.stringify({
          data: {
            data: {
              id: dfn,
              attributes: {
                id: 1 + r.below(999),
                patientDfn: dfn,
                demographicsNeedsUpdate: false,
                demographicsConfirmedAt: `${opts.today}T10:00:00.000-05:00`,
                nextOfKinNeedsUpdate: false,
                nextOfKinConfirmedAt: `${opts.today}T10:00:00.000-05:00`,
                emergencyContactNeedsUpdate: false,
                emergencyContactConfirmedAt: `${opts.today}T10:00:00.000-05:00`,
                insuranceVerificationNeeded: null,
              },
            },
          },
          status: 200,
        }),
      )
    }
  }

  /**
   * The body of GET patient_check_ins / pre_check_ins for a (valid) uuid. Oracle Health
   * (facilityType=oh) appointments have their own shape, no demographics, and
   * `setECheckinStartedCalled: null` (the OH data has no such field).
   */
  checkInData(uuid: string, setECheckinStartedCalled: boolean, oracleHealth = false): string {
    const h = hashString(uuid, this.seed)
    const a = h & (VARIANTS - 1)
    const started = setECheckinStartedCalled ? 'true' : 'false'
    if (oracleHealth) {
      return `{"id":"${uuid}","payload":{"address":${this.ohAddresses[a]!},"demographics":{},"appointments":${this.ohAppointments[(h >>> 6) & (VARIANTS - 1)]!},"patientDemographicsStatus":{},"setECheckinStartedCalled":null}}`
    }
    return `{"id":"${uuid}","payload":{"address":null,"demographics":${this.demographics[a]!},"appointments":${this.appointments[(h >>> 6) & (VARIANTS - 1)]!},"patientDemographicsStatus":${this.statuses[(h >>> 12) & (VARIANTS - 1)]!},"setECheckinStartedCalled":${started}}}`
  }

  /** The body of a successful PATCH demographics. */
  demographicsConfirmed(uuid: string): string {
    return this.demographicsAnswers[(hashString(uuid, this.seed) >>> 18) & (VARIANTS - 1)]!
  }
}
