import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { runCommand } from '../../src/commands/run.js'
import { resolveRunConfig } from '../../src/config/load.js'

/**
 * `run --mock-tls`: the embedded stand-in serves HTTPS with a certificate made at its start, the
 * run trusts its CA, and browser visits (a TLS connection each) go through.
 */
test('run --mock-tls: browser visits over HTTPS to the embedded stand-in, all answered', async () => {
  const out = mkdtempSync(join(tmpdir(), 'checkin-load-mock-tls-'))
  try {
    const config = resolveRunConfig({
      flags: {
        mockTls: true,
        stages: [{ durationMs: 2000, target: 1 }],
        startShare: 1,
        scale: 0.2,
        arrival: 'constant',
        out,
        runId: 'tls',
        quiet: true,
        seed: 3,
      },
    })
    const outcome = await runCommand(config, { warmUp: false, handleSignals: false })
    const { summary } = outcome
    assert.match(summary.target, /^https:\/\/127\.0\.0\.1:\d+$/)
    assert.ok(summary.total.requests > 40, `${summary.total.requests} requests`)
    assert.equal(summary.total.ok, summary.total.requests, JSON.stringify(summary.total.errors))
    assert.equal(summary.endpoints.preflight?.ok, summary.endpoints.preflight?.requests)
    assert.ok((summary.endpoints.preflight?.requests ?? 0) > 40)
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
})
