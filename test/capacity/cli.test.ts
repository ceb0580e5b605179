import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { cli } from '../helpers/cli.js'

/** `checkin-load capacity` refuses bad input with exit code 2 and one line, before any load. */
const out = mkdtempSync(join(tmpdir(), 'capacity-cli-'))
after(() => rmSync(out, { recursive: true, force: true }))

for (const [args, message] of [
  [['--stages', '1m:1'], /--stages does not apply to capacity: the search makes its own steps/],
  [['--factor', '1'], /--factor must be greater than 1/],
  [['--precision', '0.001'], /--precision must be at least 0.005/],
  [['--start', '2', '--max-scale', '1'], /--max-scale \(1\) must be at least --start \(2\)/],
  [['--target', 'http://127.0.0.1:9', '--mock-workers', '10'], /--mock-workers is for the embedded stand-in/],
  [['--slo', 'http_req_duration: p95<500'], /invalid --slo/],
  [['--no-default-slos'], /nothing to judge the steps by/],
  [['--step-duration', '10s', '--max-duration', '5s'], /shorter than one step/],
] as const) {
  test(`capacity ${args.join(' ')}: exit 2 with one line`, () => {
    const { code, stderr } = cli(['capacity', ...args, '--out', out])
    assert.equal(code, 2, stderr)
    assert.match(stderr, message)
    assert.equal(stderr.trim().split('\n').length, 1, stderr)
  })
}

test('capacity against a target where nothing listens: exit 2, not a capacity below the start', async () => {
  // a loopback port that was free a moment ago: nothing listens there
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  const { code, stderr } = cli([
    'capacity',
    '--target',
    `http://127.0.0.1:${port}`,
    '--step-duration',
    '1s',
    '--warmup',
    '0s',
    '--out',
    out,
  ])
  assert.equal(code, 2, stderr)
  assert.match(
    stderr,
    /nothing answered at http:\/\/127\.0\.0\.1:\d+ during the first step \(connect_refused \d+\)/,
  )
})
