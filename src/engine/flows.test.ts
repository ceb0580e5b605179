import assert from 'node:assert/strict'
import { test } from 'node:test'
import { checkinProfile } from '../profile/builtin.js'
import { endpointIds } from '../profile/derive.js'
import { compileFlows, USER_AGENT } from './flows.js'

const VARIABLES = ['uuid', 'lastName', 'firstName', 'dob', 'appointmentIen', 'today']

test('compiles the built-in check-in flows: endpoints, headers, expected statuses', () => {
  const profile = checkinProfile()
  const endpoints = endpointIds(profile)
  const flows = compileFlows(profile.flows, {
    endpoints,
    variables: VARIABLES,
    headers: { 'X-Key-Inflection': 'camel' },
  })
  assert.deepEqual(
    flows.map((f) => f.steps.map((s) => s.endpointId)),
    profile.flows.map((f) => f.steps.map((s) => s.endpoint)),
  )
  const postSession = flows[0]!.steps[1]!
  assert.equal(postSession.method, 'POST')
  assert.equal(postSession.endpoint, endpoints.indexOf('post_session'))
  assert.deepEqual(postSession.headers, [
    'user-agent',
    USER_AGENT,
    'x-key-inflection',
    'camel',
    'content-type',
    'application/json',
  ])
  assert.equal(postSession.ok[200], 1)
  assert.equal(postSession.ok[201], 0)
  assert.deepEqual(
    [...flows[1]!.stepEndpoints],
    flows[1]!.steps.map((s) => s.endpoint),
  )
  const getSession = flows[0]!.steps[0]!
  assert.equal(getSession.body, null)
  assert.ok(!getSession.headers.includes('content-type'))
})

test('default expected statuses are 2xx; a base path prefixes every path; step headers win', () => {
  const [flow] = compileFlows(
    [
      {
        name: 'f',
        arrivalsPerMinute: 1,
        steps: [
          {
            endpoint: 'a',
            method: 'GET',
            path: '/x/{{uuid}}',
            headers: { 'x-who': '{{lastName}}', 'X-Key': 'step' },
          },
        ],
      },
    ],
    { endpoints: ['a'], variables: VARIABLES, headers: { 'x-key': 'global' }, basePath: '/prefix' },
  )
  const step = flow!.steps[0]!
  for (const status of [200, 201, 204, 299]) assert.equal(step.ok[status], 1)
  for (const status of [199, 300, 404, 500]) assert.equal(step.ok[status], 0)
  assert.equal(step.path.render(['u-1', 'Smith', '', '', '', '']), '/prefix/x/u-1')
  assert.deepEqual(step.headers, ['user-agent', USER_AGENT, 'x-key', 'step'])
  assert.equal(step.dynamicHeaders[0]![0], 'x-who')
  assert.equal(step.dynamicHeaders[0]![1].render(['', 'Smith', '', '', '', '']), 'Smith')
})

test('a step whose endpoint is not in the list is a ConfigError', () => {
  assert.throws(
    () =>
      compileFlows(
        [{ name: 'f', arrivalsPerMinute: 1, steps: [{ endpoint: 'b', method: 'GET', path: '/' }] }],
        {
          endpoints: ['a'],
          variables: [],
        },
      ),
    /endpoint "b" is not in the run's endpoints/,
  )
})
