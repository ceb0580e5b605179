import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Recorder } from '../metrics/recorder.js'
import { SCHEMA_VERSION, type SeriesHeader } from '../model/results.js'
import { RunAccumulator } from './accumulator.js'
import { decodeSecond } from './decoded-second.js'

const ENDPOINTS = ['get_session', 'post_session', 'get_pre_check_in']
const HEADER: SeriesHeader = {
  type: 'header',
  schemaVersion: SCHEMA_VERSION,
  runId: 'pieces',
  target: 'http://127.0.0.1:1',
  startedAt: new Date(1_000_000).toISOString(),
  startedAtMs: 1_000_000,
  config: {},
  profile: {},
  endpoints: ENDPOINTS,
}

test('addPieces, run in order, folds a second in exactly as add() does', () => {
  const recorder = new Recorder(ENDPOINTS)
  const whole = new RunAccumulator(HEADER)
  const inPieces = new RunAccumulator(HEADER)
  let pieceCount = 0
  for (let t = 0; t < 5; t++) {
    // endpoint 2 is silent in second 3: the chart pads it
    for (let i = 0; i < 200; i++) {
      const e = t === 3 ? i % 2 : i % 3
      recorder.sent(e, i, i + 0.2)
      if (i % 17 === 0) recorder.failed(e, 1)
      else recorder.response(e, i % 29 === 0 ? 503 : 200, i % 29 === 0 ? 6 : -1, i, i + 0.2, i + 2 + (i % 13))
    }
    const second = recorder.fold(t, 1, { eventLoopLagMsP99: 1, cpuPct: 20, rssMb: 90, inFlight: 3 })
    whole.add(second)
    const pieces = inPieces.addPieces(second, decodeSecond(second))
    pieceCount = pieces.length
    for (const piece of pieces) piece()
  }
  // one per endpoint for the summary and for the chart, and a head and a tail
  assert.equal(pieceCount, 1 + ENDPOINTS.length + 1 + ENDPOINTS.length + 1)
  const options = {
    endReason: 'completed' as const,
    thresholds: [],
    endedAt: new Date(1_005_000).toISOString(),
  }
  assert.deepEqual(inPieces.summary.build(options), whole.summary.build(options))
  assert.deepEqual(inPieces.chart.result(), whole.chart.result())
  assert.equal(whole.summary.build(options).total.requests, 1000)
})
