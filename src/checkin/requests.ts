import type { CheckinEndpointId, HttpMethod } from '../model/endpoints.js'
import type { JsonTemplate, StepSpec } from '../profile/types.js'

/**
 * The check-in API's requests, one builder per endpoint, in the two forms checkin-load sends
 * (checkin-api.md §4, §9):
 *
 * - `browser`: what vets-website's v2 client sends (src/applications/check-in/api/versions/v2.js):
 *   camelCase bodies, POST paths with the trailing slash, `checkInType` in every login body
 *   (`dayOf` or `preCheckIn`, the app's name), the queries the web app adds. The headers a browser
 *   adds (Origin, X-Key-Inflection, ...) and the CORS preflights come from src/checkin/browser.ts.
 * - `api`: bare API calls as vets-api's request specs write them: snake_case bodies, no trailing
 *   slash, `check_in_type` only for pre-check-in.
 *
 * Templates use the visit's variables (src/checkin/data.ts): {{uuid}}, {{dob}}, {{lastName}},
 * {{appointmentIen}}. The k6 exporter builds its script from these same builders.
 */
export type RequestForm = 'browser' | 'api'

/** The two check-in web apps; the values are vets-website's APP_NAMES, sent as checkInType. */
export type CheckInApp = 'dayOf' | 'preCheckIn'

const JSON_TYPE = { 'content-type': 'application/json' } as const

interface Shape {
  readonly method: HttpMethod
  readonly path: string
  readonly body?: JsonTemplate
}

type Builder = (app: CheckInApp, form: RequestForm) => Shape

/** the body in the form's key casing: camelCase for the browser, snake_case for bare calls */
const byForm = (form: RequestForm, browser: JsonTemplate, api: JsonTemplate): JsonTemplate =>
  form === 'browser' ? browser : api
/** vets-website posts to the collection with a trailing slash; Rails routes both spellings */
const collection = (path: string, form: RequestForm) => (form === 'browser' ? `${path}/` : path)

const BUILDERS: Readonly<Record<CheckinEndpointId, Builder>> = {
  // getSession: ?checkInType only when the app passes one (pre-check-in; the day-of landing
  // page calls it without)
  get_session: (app) => ({
    method: 'GET',
    path: `/check_in/v2/sessions/{{uuid}}${app === 'preCheckIn' ? '?checkInType=preCheckIn' : ''}`,
  }),
  post_session: (app, form) => ({
    method: 'POST',
    path: collection('/check_in/v2/sessions', form),
    body: byForm(
      form,
      { session: { uuid: '{{uuid}}', dob: '{{dob}}', lastName: '{{lastName}}', checkInType: app } },
      {
        session: {
          uuid: '{{uuid}}',
          dob: '{{dob}}',
          last_name: '{{lastName}}',
          ...(app === 'preCheckIn' ? { check_in_type: app } : {}),
        },
      },
    ),
  }),
  // getCheckInData adds ?facilityType only for Oracle Health sites
  get_patient_check_in: () => ({ method: 'GET', path: '/check_in/v2/patient_check_ins/{{uuid}}' }),
  patch_demographics: (_app, form) => ({
    method: 'PATCH',
    path: '/check_in/v2/demographics/{{uuid}}',
    body: byForm(
      form,
      {
        demographics: {
          demographicConfirmations: {
            uuid: '{{uuid}}',
            demographicsUpToDate: true,
            nextOfKinUpToDate: true,
            emergencyContactUpToDate: true,
          },
        },
      },
      {
        demographics: {
          demographic_confirmations: {
            demographics_up_to_date: true,
            next_of_kin_up_to_date: true,
            emergency_contact_up_to_date: true,
          },
        },
      },
    ),
  }),
  post_patient_check_in: (_app, form) => ({
    method: 'POST',
    path: collection('/check_in/v2/patient_check_ins', form),
    body: byForm(
      form,
      {
        patientCheckIns: {
          uuid: '{{uuid}}',
          appointmentIen: '{{appointmentIen}}',
          setECheckinStartedCalled: true,
          isTravelEnabled: false,
          travelSubmitted: false,
        },
      },
      {
        patient_check_ins: {
          uuid: '{{uuid}}',
          appointment_ien: '{{appointmentIen}}',
          set_e_checkin_started_called: true,
          is_travel_enabled: false,
          travel_submitted: false,
        },
      },
    ),
  }),
  get_pre_check_in: () => ({
    method: 'GET',
    path: '/check_in/v2/pre_check_ins/{{uuid}}?checkInType=preCheckIn',
  }),
  post_pre_check_in: (_app, form) => ({
    method: 'POST',
    path: collection('/check_in/v2/pre_check_ins', form),
    body: byForm(
      form,
      {
        preCheckIn: {
          uuid: '{{uuid}}',
          demographicsUpToDate: true,
          nextOfKinUpToDate: true,
          emergencyContactUpToDate: true,
          checkInType: 'preCheckIn',
        },
      },
      {
        pre_check_in: {
          uuid: '{{uuid}}',
          demographics_up_to_date: true,
          next_of_kin_up_to_date: true,
          emergency_contact_up_to_date: true,
          check_in_type: 'preCheckIn',
        },
      },
    ),
  }),
}

/** One request of the check-in API as a flow step, in the given form, for the given app. */
export function checkinRequest(endpoint: CheckinEndpointId, app: CheckInApp, form: RequestForm): StepSpec {
  const { method, path, body } = BUILDERS[endpoint](app, form)
  return {
    endpoint,
    method,
    path,
    ...(body !== undefined && { headers: JSON_TYPE, body }),
    expectStatus: [200],
  }
}

/**
 * A visit's requests (checkin-api.md §8.4): authenticate (GET + POST sessions), then read and
 * submit; day-of with the optional demographics confirmation before the submit.
 */
export function checkinVisitSteps(
  app: CheckInApp,
  form: RequestForm,
  options: { readonly withDemographics?: boolean } = {},
): StepSpec[] {
  const endpoints: CheckinEndpointId[] =
    app === 'dayOf'
      ? [
          'get_session',
          'post_session',
          'get_patient_check_in',
          ...(options.withDemographics ? (['patch_demographics'] as const) : []),
          'post_patient_check_in',
        ]
      : ['get_session', 'post_session', 'get_pre_check_in', 'post_pre_check_in']
  return endpoints.map((endpoint) => checkinRequest(endpoint, app, form))
}
