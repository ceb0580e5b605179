import assert from 'node:assert/strict'
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import type { IncomingHttpHeaders } from 'node:http'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { runCli, runDirs, said, tempDir } from '../faults/run-cli.js'
import { type FaultServer, httpServer } from '../faults/servers.js'

/**
 * Secrets never leave memory: header values given with --header (Authorization, an API key) or
 * --header-from-env are sent to the target (checked: the server saw them) and appear nowhere else:
 * not in stdout or stderr, series.ndjson, summary.json, report.html, the JUnit and Markdown files,
 * what `report` rebuilds, what `config` prints, nor in the error message of a mistyped header.
 */
const SECRETS = {
  bearer: 'Sekr1t-bearer-4b1d',
  apiKey: 'Sekr1t-apikey-77c3',
  fromEnv: 'Sekr1t-env-9e02',
  fromEnvPlain: 'Sekr1t-env-plain-5a6b',
} as const
const ENV = { CL_TEST_TOKEN: SECRETS.fromEnv, CL_TEST_PLAIN: SECRETS.fromEnvPlain }
const FLAGS = [
  '--header',
  `Authorization: Bearer ${SECRETS.bearer}`,
  '--header',
  `X-Api-Key: ${SECRETS.apiKey}`,
  '--header-from-env',
  'X-Session-Token=CL_TEST_TOKEN',
  // a name that does not look secret: from the environment, it is redacted all the same
  '--header-from-env',
  'X-Custom=CL_TEST_PLAIN',
]

const dir = tempDir('secrets')
let target: FaultServer
const seenHeaders: IncomingHttpHeaders[] = []
before(async () => {
  // answers every step of the flows with 200, and keeps what it was sent
  target = await httpServer((req, res) => {
    seenHeaders.push(req.headers)
    req.resume()
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'api_session=x; HttpOnly' })
      res.end('{"data":{"permissions":"read.full"}}')
    })
  })
})
after(async () => {
  await target.close()
  rmSync(dir, { recursive: true, force: true })
})

function assertNoSecret(text: string, where: string): void {
  for (const [name, secret] of Object.entries(SECRETS)) {
    assert.ok(!text.includes(secret), `the ${name} secret is in ${where}`)
    // nor a recognizable piece of it
    assert.ok(!text.includes(secret.slice(-9)), `a piece of the ${name} secret is in ${where}`)
  }
}

/** Every file under `root` (the run folder and the outputs beside it). */
function filesUnder(root: string): string[] {
  return readdirSync(root).flatMap((name) => {
    const path = join(root, name)
    return statSync(path).isDirectory() ? filesUnder(path) : [path]
  })
}

test('a real run with secret headers: sent to the target, written nowhere', async () => {
  const out = join(dir, 'results')
  const run = await runCli(
    [
      'run',
      '--target',
      target.url,
      '--duration',
      '3s',
      '--scale',
      '0.2',
      '--out',
      out,
      '--junit',
      join(dir, 'junit.xml'),
      '--markdown',
      join(dir, 'summary.md'),
      ...FLAGS,
    ],
    { env: ENV },
  )
  assert.ok(run.code === 0 || run.code === 99, said(run))
  // they were really sent: the test is not vacuous
  assert.ok(seenHeaders.length > 10)
  for (const headers of seenHeaders) {
    assert.equal(headers.authorization, `Bearer ${SECRETS.bearer}`)
    assert.equal(headers['x-api-key'], SECRETS.apiKey)
    assert.equal(headers['x-session-token'], SECRETS.fromEnv)
    assert.equal(headers['x-custom'], SECRETS.fromEnvPlain)
  }
  assertNoSecret(run.stdout, 'stdout')
  assertNoSecret(run.stderr, 'stderr')
  const [runDir] = runDirs(out)
  assert.ok(runDir)

  // rebuilt by `report`, with its own JUnit and Markdown
  const report = await runCli([
    'report',
    runDir,
    '--junit',
    join(dir, 'junit-rebuilt.xml'),
    '--markdown',
    join(dir, 'summary-rebuilt.md'),
  ])
  assert.ok(report.code === 0 || report.code === 99, said(report))
  assertNoSecret(report.stdout + report.stderr, 'the output of report')

  const files = filesUnder(dir).filter((f) => !f.endsWith('.mjs'))
  for (const expected of ['series.ndjson', 'summary.json', 'report.html', 'junit.xml', 'summary.md']) {
    assert.ok(
      files.some((f) => f.endsWith(expected)),
      `${expected} written`,
    )
  }
  for (const file of files) assertNoSecret(readFileSync(file, 'utf8'), file)
  // the header names are there, their values redacted
  const summary = readFileSync(join(runDir, 'summary.json'), 'utf8')
  assert.match(summary, /"authorization": "<redacted>"/)
  assert.match(summary, /"x-custom": "<redacted>"/)
})

test('`config` with secret headers prints the names, never the values', async () => {
  const run = await runCli(['config', ...FLAGS], { env: ENV })
  assert.equal(run.code, 0, said(run))
  assertNoSecret(run.stdout + run.stderr, 'the output of config')
  assert.match(run.stdout, /"authorization": "<redacted>"/)
})

test('a mistyped secret header: exit 2, and the message does not repeat it', async () => {
  for (const header of [
    `Authorization Bearer ${SECRETS.bearer}`,
    `Authorization: Bearer ${SECRETS.bearer}\r\nX-Injected: 1`,
  ]) {
    const run = await runCli(['run', '--header', header, '--duration', '1s'])
    assert.equal(run.code, 2, said(run))
    assertNoSecret(run.stdout + run.stderr, `the error for ${JSON.stringify(header)}`)
  }
})
