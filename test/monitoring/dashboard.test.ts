import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { PrometheusMetrics } from '../../src/metrics/prometheus.js'
import { Recorder } from '../../src/metrics/recorder.js'
import { buildMockApp } from '../../src/mock/index.js'
import { CHECKIN_ENDPOINT_IDS, CHECKIN_ROUTES } from '../../src/model/endpoints.js'
import {
  allPanels,
  allTargets,
  baseName,
  DASHBOARDS,
  exposedMetrics,
  metricNames,
  readDashboard,
  selectorLabels,
} from './dashboard.js'

const ENDPOINTS = [...CHECKIN_ENDPOINT_IDS]
/** Grafana's placeholder for the data source picked at import (a literal, not a template). */
const DS_UID = ['$', '{DS_PROMETHEUS}'].join('')

/** The generator's exposition after one second with answers, failures and drops. */
async function generatorExposition(): Promise<string> {
  const methods = Object.fromEntries(ENDPOINTS.map((id) => [id, CHECKIN_ROUTES[id].method]))
  const metrics = new PrometheusMetrics({
    runId: 'r',
    endpoints: ENDPOINTS,
    methods,
    target: 'http://127.0.0.1:1',
  })
  const recorder = new Recorder(ENDPOINTS)
  recorder.sent(0, 0, 0.1)
  recorder.response(0, 200, -1, 0, 0.1, 12)
  recorder.sent(1, 0, 0)
  recorder.failed(1, 2)
  recorder.dropped(2)
  metrics.onSecond(recorder.fold(0, 1, { eventLoopLagMsP99: 1, cpuPct: 1, rssMb: 1, inFlight: 1 }), {
    expectedRps: {},
  })
  metrics.onThresholds([{ metric: 'dropped', expr: 'count==0', value: 1, ok: false }])
  return metrics.metrics()
}

/** The stand-in's real /metrics, after one request of each kind (so labelled series exist). */
async function standInExposition(): Promise<string> {
  const app = buildMockApp({ timeScale: 0, quiet: true })
  try {
    const uuid = 'd602d9eb-9a31-484f-9637-13ab0b507e0d'
    await app.inject({ method: 'GET', url: `/check_in/v2/sessions/${uuid}` })
    await app.inject({
      method: 'POST',
      url: '/check_in/v2/sessions',
      payload: { session: { uuid, last_name: 'Smith', dob: '1950-01-27' } },
    })
    const res = await app.inject({ method: 'GET', url: '/metrics' })
    assert.equal(res.statusCode, 200)
    return res.body
  } finally {
    await app.close()
  }
}

test('the dashboard is importable: JSON, a DS_PROMETHEUS input, a run_id variable', () => {
  const text = readFileSync(`${DASHBOARDS}checkin-load.json`, 'utf8')
  const dashboard = readDashboard()
  assert.equal(dashboard.uid, 'checkin-load')
  assert.deepEqual(
    dashboard.__inputs.map((i) => [i.name, i.type, i.pluginId]),
    [['DS_PROMETHEUS', 'datasource', 'prometheus']],
  )
  const names = dashboard.templating.list.map((v) => v.name)
  assert.ok(names.includes('run_id'))
  // no datasource other than the input, nowhere in the file
  for (const match of text.matchAll(/"uid":\s*"([^"]*)"/g)) {
    if (match[1] === 'checkin-load' || match[1] === '-- Grafana --') continue
    assert.equal(match[1], DS_UID)
  }
})

test('every panel and query uses the DS_PROMETHEUS datasource; every query filters on the run', () => {
  const dashboard = readDashboard()
  const ds = { type: 'prometheus', uid: DS_UID }
  const panels = allPanels(dashboard).filter((p) => p.type !== 'row')
  assert.ok(panels.length >= 15, `${panels.length} panels`)
  for (const panel of panels) {
    assert.deepEqual(panel.datasource, ds, panel.title)
    assert.ok((panel.targets ?? []).length > 0, `${panel.title} has no query`)
    for (const target of panel.targets ?? [])
      assert.deepEqual(target.datasource, ds, `${panel.title} ${target.refId}`)
  }
  for (const variable of dashboard.templating.list)
    if (variable.type === 'query') assert.deepEqual(variable.datasource, ds, variable.name)
  for (const { panel, expr } of allTargets(dashboard))
    for (const name of metricNames(expr))
      if (name.startsWith('checkin_load_'))
        assert.match(expr, new RegExp(`${name}\\{[^}]*run_id=~"\\$run_id"`), panel)
})

test('every metric and label a query names is exported by the generator or the stand-in', async () => {
  const exported = exposedMetrics(await generatorExposition())
  const standIn = exposedMetrics(await standInExposition())
  for (const [name, labels] of standIn) exported.set(name, labels)
  const dashboard = readDashboard()
  const used = new Set<string>()
  for (const { panel, expr } of allTargets(dashboard)) {
    const names = metricNames(expr)
    assert.ok(names.length > 0, `${panel}: no metric in ${expr}`)
    for (const name of names) {
      assert.ok(exported.has(baseName(name)) || exported.has(name), `${panel}: ${name} is not exported`)
      used.add(baseName(name))
    }
    for (const { metric, labels } of selectorLabels(expr)) {
      const known = exported.get(baseName(metric)) ?? exported.get(metric)!
      for (const label of labels)
        assert.ok(
          known.has(label) || label === 'job' || label === 'instance',
          `${panel}: ${metric} has no label ${label}`,
        )
    }
  }
  for (const variable of dashboard.templating.list) {
    const query = (variable.query as { query: string }).query
    for (const name of metricNames(query.replace(/^label_values\((.*)\)$/, '$1').replace(/,\s*\w+$/, '')))
      assert.ok(exported.has(name), `variable ${variable.name}: ${name}`)
  }
  // the panels the issue asks for are there
  for (const name of [
    'checkin_load_asked_rps',
    'checkin_load_requests_total',
    'checkin_load_request_duration_seconds',
    'checkin_load_errors_total',
    'checkin_load_dropped_total',
    'checkin_load_in_flight',
    'checkin_load_event_loop_lag_p99_seconds',
    'checkin_load_cpu_ratio',
    'checkin_load_threshold_ok',
    'checkin_mock_pool_busy_workers',
    'checkin_mock_pool_backlog',
    'checkin_mock_pool_wait_seconds',
    'checkin_mock_request_duration_seconds',
  ])
    assert.ok(used.has(name), `no panel shows ${name}`)
})

test('the endpoint ids of the stand-in are those of the generator', async () => {
  const text = await standInExposition()
  const endpoints = new Set(
    [...text.matchAll(/checkin_mock_requests_total\{endpoint="([^"]+)"/g)].map((m) => m[1]),
  )
  assert.deepEqual([...endpoints].sort(), ['get_session', 'post_session'])
})

test('metricNames reads PromQL', () => {
  const table: Array<[string, string[]]> = [
    ['sum by (le, endpoint) (rate(a_bucket{x=~"$y", le="0.1"}[$__rate_interval]))', ['a_bucket']],
    ['histogram_quantile(0.95, sum by (le) (rate(b_bucket[5m]))) / on (job) c', ['b_bucket', 'c']],
    ['sum(x{run_id=~"$run_id"}) / count(x{run_id=~"$run_id"})', ['x']],
    ['max without (instance) (d) > bool 0', ['d']],
  ]
  for (const [expr, names] of table) assert.deepEqual(metricNames(expr), names, expr)
})

test('the example prometheus.yml is valid (promtool check config)', () => {
  const result = spawnSync('promtool', ['check', 'config', `${DASHBOARDS}prometheus.yml`], {
    encoding: 'utf8',
  })
  assert.equal(
    result.error,
    undefined,
    'promtool is missing: install the prometheus package (scripts/install-system-deps.sh)',
  )
  assert.equal(result.status, 0, result.stdout + result.stderr)
})
