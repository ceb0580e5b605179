import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { runCli, runDirs, said, tempDir } from '../faults/run-cli.js'
import { netGuard } from './net-guard.js'

/**
 * The production guard at the command line: `run --target <a VA.gov production host>` in any
 * spelling (case, trailing dots, ports, paths, user info, percent-encoding, full-width letters
 * and dots, subdomains) exits 2 with one line, writes no run folder, and makes no DNS lookup and
 * no connection (a preload records every attempt, and blocks anything but loopback). Hosts that
 * are not production pass the guard (checked with `config`, which sends nothing), and
 * --allow-production lifts it. The host rule itself is unit-tested in src/config/guard.test.ts.
 */
const dir = tempDir('guard')
after(() => rmSync(dir, { recursive: true, force: true }))

const PRODUCTION = [
  'https://API.VA.GOV.:443',
  'https://api.va.gov',
  'HTTPS://Api.Va.Gov:443/check_in',
  'http://www.va.gov:8080',
  'https://va.gov.',
  'https://api.va.gov..',
  'https://a.b.api.va.gov./x',
  'https://prod-api.va.gov',
  'https://staging@api.va.gov',
  'https://api%2Eva%2Egov',
  'https://api\u3002va\u3002gov',
  'https://\uff21\uff30\uff29.va.gov',
  'https://api.va.gov\\@127.0.0.1',
]

describe('run --target <production host>: refused before anything is sent', { concurrency: 4 }, () => {
  PRODUCTION.forEach((target, i) => {
    test(`run --target ${JSON.stringify(target)}: exit 2, no lookup, no connection, no folder`, async () => {
      const guard = netGuard(dir, `prod-${i}`)
      const out = join(dir, `out-${i}`)
      const run = await runCli(['run', '--target', target, '--duration', '1m', '--out', out], {
        env: guard.env,
      })
      const why = said(run)
      assert.equal(run.code, 2, why)
      assert.match(run.stderr, /^checkin-load: refusing to load-test production host ".*va\.gov\.*"/, why)
      assert.match(run.stderr, /--allow-production/, why)
      assert.equal(run.stderr.trim().split('\n').length, 1, why)
      assert.deepEqual(guard.attempts(), [], 'no DNS lookup, no connection')
      assert.deepEqual(runDirs(out), [], 'no run folder')
    })
  })
})

describe('hosts that are not production pass the guard; --allow-production lifts it', {
  concurrency: 4,
}, () => {
  for (const [args, why] of [
    [['--target', 'https://staging-api.va.gov'], 'staging'],
    [['--target', 'https://dev-api.va.gov:443'], 'dev'],
    [['--target', 'https://api.va.gov.example.com'], 'not a va.gov host'],
    [['--target', 'https://api.va.gov@127.0.0.1:1'], 'user info; the host is loopback'],
    [['--target', 'http://[::1]:3000'], 'IPv6 loopback'],
    [['--target', 'https://api.va.gov', '--allow-production'], 'production, allowed on purpose'],
  ] as const) {
    test(`config ${args.join(' ')}: exit 0 (${why})`, async () => {
      const guard = netGuard(dir, `ok-${why.replace(/\W+/g, '-')}`)
      const run = await runCli(['config', ...args], { env: guard.env })
      assert.equal(run.code, 0, said(run))
      assert.equal(JSON.parse(run.stdout).target, args[1])
      assert.deepEqual(guard.attempts(), [], '`config` sends nothing')
    })
  }
})
