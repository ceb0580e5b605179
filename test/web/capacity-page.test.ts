import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { runCapacityCommand } from '../../src/commands/capacity.js'
import { resolveRunConfig } from '../../src/config/load.js'
import type { HelloEvent } from '../../src/web/index.js'
import { okHandler, startServer } from '../engine/helpers.js'
import { call, control } from './helpers.js'

/**
 * `capacity --web`: the page shows the search's seconds on one time line and its steps as they
 * start and are judged; it refuses to steer the share (the search sets it) and can stop the search.
 */
test('capacity --web: steps as judged, seconds on one time line, scale refused, stop ends the search', async () => {
  const target = await startServer(okHandler)
  try {
    const config = resolveRunConfig({
      flags: {
        target: target.url,
        // the test server answers no CORS preflight: bare API calls
        traffic: 'api',
        out: mkdtempSync(join(tmpdir(), 'checkin-load-capacity-web-')),
        quiet: true,
        web: true,
        webPort: 0,
        webLingerMs: 0,
      },
    })
    let url = ''
    const judged: number[] = []
    const done = runCapacityCommand(
      config,
      { start: 0.2, factor: 2, maxScale: 0.8, stepDurationMs: 1_000, warmupMs: 500, coolDownMs: 200 },
      {
        handleSignals: false,
        warmUp: false,
        onStart: (info) => (url = info.web ?? ''),
        onStep: (step) => judged.push(step.index),
      },
    )
    while (url === '') await sleep(50)
    const base = url.slice(0, url.indexOf('?'))
    const token = url.slice(url.indexOf('token=') + 6)
    const state = async () => JSON.parse((await call(`${base}api/state?token=${token}`)).body) as HelloEvent
    while (judged.length < 2) await sleep(100)
    const seen = await state()
    assert.equal(seen.kind, 'capacity')
    assert.equal(seen.control?.steerable, false)
    assert.deepEqual(
      seen.steps.slice(0, 2).map((s) => [s.index, s.share, s.held]),
      [
        [1, 0.2, true],
        [2, 0.4, true],
      ],
    )
    // the steps' seconds follow each other on one time line, none repeated
    const t = seen.chart!.t
    assert.ok(t.length >= 4, JSON.stringify(t))
    assert.ok(
      t.every((x, i) => i === 0 || x > t[i - 1]!),
      JSON.stringify(t),
    )
    const scale = await control(base, token, { scale: 2 })
    assert.equal(scale.status, 409)
    assert.match(JSON.parse(scale.body).error, /capacity/)
    assert.equal((await control(base, token, { action: 'stop' })).status, 200)
    const outcome = await done
    await outcome.page?.lingering
    assert.equal(outcome.file.verdict.kind, 'interrupted')
  } finally {
    await target.close()
  }
})
