import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Histogram, type Metric, Registry } from 'prom-client'
import { FoldedHistogram } from './metrics.js'

const BOUNDS = [0.005, 0.01, 0.5, 1]
const VALUES = [0.001, 0.005, 0.0051, 0.01, 0.3, 0.5, 1, 1.5, 30]

test("a FoldedHistogram's exposition is prom-client Histogram's, byte for byte", async () => {
  const ours = new Registry()
  const folded = new FoldedHistogram('h_seconds', 'help text', BOUNDS)
  ours.registerMetric(folded as unknown as Metric)
  const a = folded.newSeries({ endpoint: 'get_session', status: '200' })
  const b = folded.newSeries({ endpoint: 'post_session', status: '401' })
  folded.newSeries({ endpoint: 'never', status: '500' }) // no observation: not exported

  const theirs = new Registry()
  const reference = new Histogram({
    name: 'h_seconds',
    help: 'help text',
    labelNames: ['endpoint', 'status'],
    buckets: BOUNDS,
    registers: [theirs],
  })
  for (const value of VALUES) {
    a.observe(value)
    reference.observe({ endpoint: 'get_session', status: '200' }, value)
  }
  b.observe(0.2)
  reference.observe({ endpoint: 'post_session', status: '401' }, 0.2)

  assert.equal(await ours.metrics(), await theirs.metrics())
  assert.equal(a.count, VALUES.length)
})

test('reset() zeroes every series (registry.resetMetrics)', async () => {
  const registry = new Registry()
  const folded = new FoldedHistogram('h_seconds', 'h', BOUNDS)
  registry.registerMetric(folded as unknown as Metric)
  const series = folded.newSeries({})
  series.observe(0.2)
  registry.resetMetrics()
  assert.equal(series.count, 0)
  assert.equal(series.sum, 0)
  assert.ok(!(await registry.metrics()).includes('h_seconds_bucket'))
})
