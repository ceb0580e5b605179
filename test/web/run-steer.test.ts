import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { startRun } from '../../src/commands/run.js'
import { resolveRunConfig } from '../../src/config/load.js'
import { rebuildRunFiles } from '../../src/report/index.js'
import { okHandler, startServer } from '../engine/helpers.js'
import { COUNTED_RUN, call, control, startCountingServer } from './helpers.js'

/**
 * `run --web` for real: the engine against a loopback server that counts what it receives, steered
 * through POST /api/control. The server's count follows a new scale within 2 s, a pause brings it
 * to about 0 within 2 s and resume back; every change is in series.ndjson and in the rebuilt report.
 */
test('steering a real run: scale, pause, resume, stop; the server count follows; the changes are recorded', async () => {
  const { target, hits } = await startCountingServer()
  const out = mkdtempSync(join(tmpdir(), 'checkin-load-steer-'))
  try {
    // 100 req/s asked (the check-in profile at 0.5x), constant arrivals, 30 s planned: stopped from the API
    const config = resolveRunConfig({
      flags: {
        target: target.url,
        ...COUNTED_RUN,
        durationMs: 30_000,
        scale: 0.5,
        arrival: 'constant',
        out,
        runId: 'steered',
        defaultSlos: false,
      },
    })
    let url = ''
    const handle = startRun(config, { handleSignals: false, onStart: (info) => (url = info.web ?? '') })
    while (url === '') await sleep(50)
    const base = url.slice(0, url.indexOf('?'))
    const token = url.slice(url.indexOf('token=') + 6)
    // the run's time zero
    for (let i = 0; i < 100; i++) {
      const state = JSON.parse((await call(`${base}api/state?token=${token}`)).body)
      if (state.run) break
      await sleep(50)
    }
    const rate = (fromMs: number, toMs: number) =>
      (hits.filter((t) => t >= fromMs && t < toMs).length * 1000) / (toMs - fromMs)
    const step = async (body: unknown, expect: (rps: number) => boolean, what: string) => {
      const answer = await control(base, token, body)
      assert.equal(answer.status, 200, answer.body)
      const at = Date.now()
      // within 2 s: the second after the ramp (1 s) and a margin
      await sleep(2_000)
      const rps = rate(at + 1_000, at + 2_000)
      assert.ok(expect(rps), `${what}: ${rps} req/s at the server`)
      return rps
    }
    await sleep(1_500)
    const before = rate(Date.now() - 1_000, Date.now())
    assert.ok(before > 80 && before < 120, `before: ${before} req/s`)
    await step({ scale: 2 }, (rps) => Math.abs(rps - 200) <= 40, 'scale 2: 200 req/s ±20%')
    await step({ action: 'pause' }, (rps) => rps <= 3, 'paused: about 0')
    await step({ action: 'resume' }, (rps) => Math.abs(rps - 200) <= 40, 'resumed: 200 req/s ±20%')
    assert.equal((await control(base, token, { action: 'stop' })).status, 200)
    const outcome = await handle.done
    await outcome.page?.lingering
    assert.equal(outcome.endReason, 'interrupted')

    const lines = readFileSync(join(out, 'steered', 'series.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    const changes = lines.filter((l) => l.type === 'control')
    assert.deepEqual(
      changes.map((c) => `${c.who} ${c.action} ${c.from}->${c.to}`),
      ['api scale 1->2', 'api pause 2->0', 'api resume 0->2', 'api stop 2->2'],
    )
    assert.ok(changes.every((c, i) => i === 0 || c.atMs > changes[i - 1].atMs))
    // the seconds' share shows the user scale: 0.5 before, 1 after the ramp, 0 while paused
    const shares = lines.filter((l) => l.type === 'second').map((l) => l.share)
    assert.ok(shares.includes(0.5) && shares.includes(1) && shares.includes(0), JSON.stringify(shares))
    assert.equal(outcome.summary.controls?.length, 4)

    const rebuilt = await rebuildRunFiles(join(out, 'steered'))
    assert.deepEqual(rebuilt.summary.controls, outcome.summary.controls)
    assert.equal(rebuilt.chart.markers?.length, 4)
    const html = readFileSync(join(out, 'steered', 'report.html'), 'utf8')
    assert.match(html, /id="controls"/)
    assert.match(html, /api: scale 1 → 2/)
  } finally {
    await target.close()
  }
})

test('run --workers 2 --web: one page for the fleet, and a change reaches every worker', async () => {
  const { target, hits } = await startCountingServer()
  const out = mkdtempSync(join(tmpdir(), 'checkin-load-steer-fleet-'))
  try {
    const config = resolveRunConfig({
      flags: {
        target: target.url,
        ...COUNTED_RUN,
        workers: 2,
        durationMs: 30_000,
        scale: 0.5,
        arrival: 'constant',
        out,
        runId: 'fleet',
        defaultSlos: false,
      },
    })
    let url = ''
    const handle = startRun(config, { handleSignals: false, onStart: (info) => (url = info.web ?? '') })
    while (url === '') await sleep(50)
    const base = url.slice(0, url.indexOf('?'))
    const token = url.slice(url.indexOf('token=') + 6)
    while (!JSON.parse((await call(`${base}api/state?token=${token}`)).body).run) await sleep(100)
    const rate = (fromMs: number, toMs: number) =>
      (hits.filter((t) => t >= fromMs && t < toMs).length * 1000) / (toMs - fromMs)
    await sleep(2_000)
    const before = rate(Date.now() - 1_000, Date.now())
    assert.ok(before > 80 && before < 120, `before: ${before} req/s (100 asked, both workers)`)
    assert.equal((await control(base, token, { scale: 2 })).status, 200)
    let at = Date.now()
    await sleep(2_000)
    const doubled = rate(at + 1_000, at + 2_000)
    // one worker alone would give 150 (its half at 2x, the other's at 1x)
    assert.ok(Math.abs(doubled - 200) <= 40, `scale 2 on both workers: ${doubled} req/s`)
    assert.equal((await control(base, token, { action: 'pause' })).status, 200)
    at = Date.now()
    await sleep(2_000)
    assert.ok(rate(at + 1_000, at + 2_000) <= 3, 'both workers paused')
    assert.equal((await control(base, token, { action: 'stop' })).status, 200)
    const outcome = await handle.done
    await outcome.page?.lingering
    assert.equal(outcome.summary.controls?.length, 3)
  } finally {
    await target.close()
  }
})

test('a --web-port in use is a usage error naming the flag, before any load', async () => {
  const { target, hits } = await startCountingServer()
  const busy = await startServer(okHandler)
  try {
    const config = resolveRunConfig({
      flags: {
        target: target.url,
        ...COUNTED_RUN,
        durationMs: 2_000,
        out: mkdtempSync(join(tmpdir(), 'checkin-load-busy-port-')),
        webPort: busy.port,
      },
    })
    await assert.rejects(
      startRun(config, { handleSignals: false, warmUp: false }).done,
      (error: Error & { exitCode?: number }) => error.exitCode === 2 && /--web-port/.test(error.message),
    )
    assert.equal(hits.length, 0)
  } finally {
    await busy.close()
    await target.close()
  }
})
