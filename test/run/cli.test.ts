import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { summarySchema } from '../../src/model/results.js'

/** `checkin-load run` as a user runs it: a child process, its exit code and the files it writes. */
const BIN = fileURLToPath(new URL('../../../bin/checkin-load.js', import.meta.url))

interface Ran {
  code: number | null
  stdout: string
  stderr: string
}

/** signalAfterMs: send SIGINT this long after the run printed its start line */
function run(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; signalAfterMs?: number } = {},
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    let signal: NodeJS.Timeout | undefined
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      if (options.signalAfterMs !== undefined && signal === undefined && /planned/.test(stdout)) {
        signal = setTimeout(() => child.kill('SIGINT'), options.signalAfterMs)
      }
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(guard)
      clearTimeout(signal)
      resolve({ code, stdout, stderr })
    })
  })
}

const runDirs = (out: string) => readdirSync(out).map((name) => join(out, name))

test('run --duration 5s --scale 0.5 --quiet: exit 0 and series.ndjson, summary.json, report.html', async () => {
  const out = mkdtempSync(join(tmpdir(), 'checkin-load-cli-'))
  try {
    const ran = await run(['run', '--duration', '5s', '--scale', '0.5', '--quiet', '--out', out])
    assert.equal(ran.code, 0, ran.stderr + ran.stdout)
    const [dir] = runDirs(out)
    assert.ok(dir)
    assert.match(dir!, /\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z-[0-9a-f]{4}$/)
    for (const file of ['series.ndjson', 'summary.json', 'report.html'])
      assert.ok(existsSync(join(dir!, file)), file)
    const summary = summarySchema.parse(JSON.parse(readFileSync(join(dir!, 'summary.json'), 'utf8')))
    assert.equal(summary.passed, true)
    assert.ok(summary.total.requests > 50)
    assert.equal(summary.total.ok, summary.total.requests)
    assert.match(ran.stdout, /get_session/)
    assert.match(ran.stdout, /Report: +.*report\.html/)
    assert.ok(!ran.stdout.includes('\u001b['), 'no colours or cursor moves when not a terminal')
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
})

test('a failing threshold exits 99; secrets never reach the results', async () => {
  const out = mkdtempSync(join(tmpdir(), 'checkin-load-cli-'))
  try {
    const ran = await run(
      [
        'run',
        '--duration',
        '2s',
        '--scale',
        '0.2',
        '--out',
        out,
        '--threshold',
        'http_req_duration: p(50)<0.001',
        '--header',
        'Authorization: Bearer top-secret-1',
        '--header-from-env',
        'X-Api-Key=CHECKIN_LOAD_TEST_KEY',
      ],
      { env: { CHECKIN_LOAD_TEST_KEY: 'top-secret-2' } },
    )
    assert.equal(ran.code, 99, ran.stderr + ran.stdout)
    assert.match(ran.stdout, /p\(50\)<0\.001/)
    const [dir] = runDirs(out)
    for (const file of readdirSync(dir!)) {
      const text = readFileSync(join(dir!, file), 'utf8')
      assert.doesNotMatch(text, /top-secret/, file)
    }
    assert.doesNotMatch(ran.stdout + ran.stderr, /top-secret/)
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
})

test('SIGINT ends the run gracefully with a summary of what was measured', async () => {
  const out = mkdtempSync(join(tmpdir(), 'checkin-load-cli-'))
  try {
    const started = Date.now()
    const ran = await run(['run', '--duration', '60s', '--scale', '0.2', '--out', out], {
      signalAfterMs: 2500,
    })
    assert.ok(Date.now() - started < 20_000, 'stopped well before the planned 60 s')
    assert.ok(ran.code === 0 || ran.code === 99, `exit ${ran.code}: ${ran.stderr}`)
    const [dir] = runDirs(out)
    const summary = summarySchema.parse(JSON.parse(readFileSync(join(dir!, 'summary.json'), 'utf8')))
    assert.equal(summary.endReason, 'interrupted')
    assert.ok(summary.total.requests > 0)
    const last = readFileSync(join(dir!, 'series.ndjson'), 'utf8').trim().split('\n').at(-1)!
    assert.equal(JSON.parse(last).type, 'end')
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
})

test('bad input exits 2 with one line', async () => {
  const ran = await run(['run', '--scale', 'lots'])
  assert.equal(ran.code, 2)
  assert.match(ran.stderr, /--scale/)
  const missing = await run([
    'run',
    '--duration',
    '1s',
    '--header-from-env',
    'X-Key=CHECKIN_LOAD_UNSET_VARIABLE',
  ])
  assert.equal(missing.code, 2, missing.stderr)
  assert.match(missing.stderr, /CHECKIN_LOAD_UNSET_VARIABLE/)
})
