import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { type SeriesControl, summarySchema } from '../../src/model/results.js'
import { rebuildRunFiles } from '../../src/report/index.js'
import { synthesizeRun, writeRunFolder } from '../report/fixtures.js'

/** Control lines in series.ndjson survive `checkin-load report DIR`: summary, chart markers, report. */
const parent = mkdtempSync(join(tmpdir(), 'checkin-load-controls-'))

test('a rebuilt run keeps its control changes: summary.controls, chart markers, the report table', async () => {
  const run = synthesizeRun({ seconds: 12, seed: 3, runId: 'steered' })
  const changes: SeriesControl[] = [
    { type: 'control', atMs: 3_400, who: 'web', action: 'scale', from: 1, to: 1.5 },
    { type: 'control', atMs: 6_050, who: 'api', action: 'pause', from: 1.5, to: 0 },
    { type: 'control', atMs: 8_000, who: 'api', action: 'resume', from: 0, to: 1.5 },
  ]
  const lines = run.text.trimEnd().split('\n')
  // header, seconds 0..3, a change, seconds 4..6, two changes, the rest
  lines.splice(1 + 4, 0, JSON.stringify(changes[0]))
  lines.splice(1 + 4 + 1 + 3, 0, JSON.stringify(changes[1]), JSON.stringify(changes[2]))
  const dir = writeRunFolder(parent, 'steered', `${lines.join('\n')}\n`)

  const rebuilt = await rebuildRunFiles(dir)
  assert.equal(rebuilt.summary.endReason, 'completed')
  assert.deepEqual(
    rebuilt.summary.controls,
    changes.map(({ type: _, ...c }) => c),
  )
  assert.doesNotThrow(() => summarySchema.parse(rebuilt.summary))
  assert.deepEqual(rebuilt.chart.markers, [
    { t: 3.4, label: 'web: scale 1 → 1.5' },
    { t: 6.05, label: 'api: pause' },
    { t: 8, label: 'api: resume' },
  ])
  // the seconds are all still there
  assert.equal(rebuilt.chart.t.length, 12)

  const summaryFile = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'))
  assert.equal(summaryFile.controls.length, 3)
  const html = readFileSync(join(dir, 'report.html'), 'utf8')
  assert.match(html, /<table class="data" id="controls">/)
  assert.equal((html.match(/<tr data-action=/g) ?? []).length, 3)
  assert.match(html, /web: scale 1 → 1\.5/)
})

test('a run without control lines has no controls key and no table', async () => {
  const run = synthesizeRun({ seconds: 5, seed: 4, runId: 'plain' })
  const dir = writeRunFolder(parent, 'plain', run.text)
  const rebuilt = await rebuildRunFiles(dir)
  assert.equal('controls' in rebuilt.summary, false)
  assert.deepEqual(rebuilt.chart.markers, [])
  assert.doesNotMatch(readFileSync(join(dir, 'report.html'), 'utf8'), /id="controls"/)
})
