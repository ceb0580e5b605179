import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { Recorder, SeriesWriter } from '../metrics/index.js'
import { SCHEMA_VERSION, type SeriesHeader } from '../model/results.js'
import { decodedOf, SecondPipeline, type SessionSecond } from './pipeline.js'

const ENDPOINTS = ['get_session', 'post_session']
const HEALTH = { eventLoopLagMsP99: 0, cpuPct: 1, rssMb: 50, inFlight: 0 }
const HEADER: SeriesHeader = {
  type: 'header',
  schemaVersion: SCHEMA_VERSION,
  runId: 'pipeline-test',
  target: 'http://127.0.0.1',
  startedAt: new Date(0).toISOString(),
  startedAtMs: 0,
  config: {},
  profile: {},
  endpoints: ENDPOINTS,
}

/** Folds `seconds` seconds of `perSecond` answers on endpoint 0, running each second's pieces in order. */
function feed(pipeline: SecondPipeline, seconds: number, perSecond: number): void {
  const recorder = new Recorder(ENDPOINTS)
  for (let t = 0; t < seconds; t++) {
    for (let i = 0; i < perSecond; i++) {
      recorder.sent(0, i, i)
      recorder.response(0, 200, -1, i, i, i + 5)
    }
    const folded = recorder.foldSecond(t, 1, HEALTH, true)
    for (const piece of [
      ...folded.encoding,
      ...pipeline.pieces(folded.second, decodedOf(folded.second, folded.histograms)),
    ])
      piece()
  }
}

test('one direction: the series line, then the summary, then observers, then subscribers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'checkin-load-pipeline-'))
  try {
    const series = new SeriesWriter(join(dir, 'series.ndjson'))
    const order: string[] = []
    const pipeline = new SecondPipeline({
      series,
      observers: [
        {
          onHeader: () => order.push('observer header'),
          onSecond: (second) => order.push(`observer ${second.t}`),
          onEnd: () => order.push('observer end'),
        },
      ],
    })
    const seen: SessionSecond[] = []
    pipeline.onSecond((s) => {
      // by now the line is on disk and the summary holds this second
      const lines = readFileSync(series.path, 'utf8').trim().split('\n')
      order.push(`subscriber ${s.t} (lines ${lines.length}, summary ${s.summary.durationS} s)`)
      seen.push(s)
    })
    pipeline.start(HEADER)
    feed(pipeline, 3, 10)
    pipeline.end({
      type: 'end',
      endedAt: new Date(3000).toISOString(),
      reason: 'completed',
      abandonedInFlight: 0,
    })
    assert.deepEqual(order, [
      'observer header',
      'observer 0',
      'subscriber 0 (lines 2, summary 1 s)',
      'observer 1',
      'subscriber 1 (lines 3, summary 2 s)',
      'observer 2',
      'subscriber 2 (lines 4, summary 3 s)',
      'observer end',
    ])
    assert.equal(pipeline.summary?.counts('get_session')?.requests, 30)
    assert.deepEqual(
      seen.map((s) => [s.t, s.judged, s.second.endpoints.get_session!.requests]),
      [
        [0, true, 10],
        [1, true, 10],
        [2, true, 10],
      ],
    )
    const lines = readFileSync(series.path, 'utf8').trim().split('\n')
    assert.deepEqual(
      lines.map((line) => (JSON.parse(line) as { type: string }).type),
      ['header', 'second', 'second', 'second', 'end'],
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('seconds before judgeFromS are observed but not judged; a subscriber can unsubscribe', () => {
  const pipeline = new SecondPipeline({ judgeFromS: 2, chart: false })
  const judged: boolean[] = []
  const unsubscribe = pipeline.onSecond((s) => judged.push(s.judged))
  pipeline.start(HEADER)
  feed(pipeline, 4, 7)
  unsubscribe()
  feed(pipeline, 1, 7)
  assert.deepEqual(judged, [false, false, true, true])
  // seconds 2 and 3 of the first feed, and second 0 of the second feed is before judgeFromS
  assert.equal(pipeline.summary?.counts('get_session')?.requests, 14)
  assert.equal(pipeline.chart, undefined)
})

test('a series line that cannot be written is told once; an observer that throws is a warning', () => {
  const warnings: string[] = []
  const failures: string[] = []
  const broken = {
    path: '/nowhere/series.ndjson',
    onHeader() {},
    onSecond() {
      throw new Error('ENOSPC')
    },
    onEnd() {},
    close() {},
  } as unknown as SeriesWriter
  const pipeline = new SecondPipeline({
    series: broken,
    observers: [
      {
        onSecond() {
          throw new Error('exporter down')
        },
      },
    ],
    onWriteFailed: (note) => failures.push(note),
    onWarning: (message) => warnings.push(message),
  })
  let subscribed = 0
  pipeline.onSecond(() => subscribed++)
  pipeline.start(HEADER)
  feed(pipeline, 3, 2)
  assert.deepEqual(failures, ['writing /nowhere/series.ndjson failed: ENOSPC'])
  assert.equal(warnings.length, 3)
  assert.match(warnings[0]!, /exporter down/)
  assert.equal(subscribed, 3)
})

test('no header, no pieces: a session whose header failed sends nothing down the path', () => {
  const pipeline = new SecondPipeline()
  const recorder = new Recorder(ENDPOINTS)
  const folded = recorder.foldSecond(0, 1, HEALTH)
  assert.deepEqual(pipeline.pieces(folded.second), [])
})
