import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { describe, test } from 'node:test'
import { startMockProcess } from '../../src/mock/index.js'
import { BIN_PATH, LISTENING_RE } from '../../src/mock/process.js'
import { newUuid } from './helpers.js'

/**
 * The `checkin-load mock` command as a process: its first stdout line, its flags, a graceful stop
 * on SIGTERM that finishes requests in flight and exits 0, exit 2 on bad flags, and
 * startMockProcess (the embedded target of `checkin-load run`).
 */

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

interface Spawned {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  firstLine: Promise<string>
}

function spawnMock(args: string[]): Spawned {
  const child = spawn(process.execPath, [BIN_PATH, 'mock', ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  let resolveFirst: (line: string) => void = () => {}
  const firstLine = new Promise<string>((resolve) => {
    resolveFirst = resolve
  })
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk
    if (out.includes('\n')) resolveFirst(out.slice(0, out.indexOf('\n')))
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk
  })
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      resolveFirst(out)
      resolve({ code, signal })
    })
  })
  return { child, stdout: () => out, stderr: () => err, exit, firstLine }
}

describe('checkin-load mock (the command)', () => {
  test('prints the listening line first, then preset and workers; SIGTERM finishes in-flight work, exit 0', async () => {
    const mock = spawnMock([
      '--port',
      '0',
      '--preset',
      'staging-2022',
      '--workers',
      '7',
      '--time-scale',
      '0.1',
    ])
    const first = await mock.firstLine
    const match = LISTENING_RE.exec(first)
    assert.ok(match, `first line: ${JSON.stringify(first)}`)
    assert.match(first, /^checkin-load mock listening on http:\/\/127\.0\.0\.1:\d+$/)
    const url = match[1]!
    await new Promise((resolve) => setTimeout(resolve, 50)) // the detail lines follow the first one
    assert.match(mock.stdout(), /preset staging-2022, 7 workers/)

    // log in (LoROTA 20 ms), then a POST pre_check_ins that waits 200 ms (+20 ms cold CHIP token)
    const uuid = newUuid()
    const login = await fetch(`${url}/check_in/v2/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session: { uuid, dob: '1960-03-12', last_name: 'Johnson' } }),
    })
    assert.equal(login.status, 200)
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!
    const inFlight = fetch(`${url}/check_in/v2/pre_check_ins`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ pre_check_in: { uuid, check_in_type: 'preCheckIn' } }),
    })
    // wait (bounded) until the stand-in holds the request: /metrics takes no worker
    for (let i = 0; i < 100; i++) {
      const text = await (await fetch(`${url}/metrics`)).text()
      if (/^checkin_mock_pool_busy_workers 1$/m.test(text)) break
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    mock.child.kill('SIGTERM')
    const response = await inFlight
    assert.equal(response.status, 200, 'the request in flight was answered')
    assert.deepEqual(await response.json(), { data: 'Pre-checkin successful', status: 200 })
    assert.deepEqual(await mock.exit, { code: 0, signal: null })
    assert.match(mock.stderr(), /SIGTERM, stopping/)
  })

  test('--stop-on-stdin-end: the child stops when its parent closes stdin', async () => {
    const mock = spawnMock(['--port', '0', '--quiet', '--stop-on-stdin-end'])
    assert.match(await mock.firstLine, LISTENING_RE)
    mock.child.stdin!.end()
    assert.deepEqual(await mock.exit, { code: 0, signal: null })
  })

  for (const [args, message] of [
    [['--preset', 'nope'], /preset/],
    [['--error-rate', '2'], /--error-rate must be at most 1/],
    [['--port', '70000'], /--port must be at most 65535/],
    [['--workers', '0'], /--workers must be at least 1/],
    [['--time-scale', 'fast'], /--time-scale must be a number/],
  ] as const) {
    test(`mock ${args.join(' ')}: exit 2 with one line`, async () => {
      const mock = spawnMock([...args])
      const { code } = await mock.exit
      assert.equal(code, 2)
      assert.match(mock.stderr(), message)
      assert.equal(mock.stderr().trim().split('\n').length, 1, mock.stderr())
      assert.equal(mock.stdout(), '')
    })
  }

  test('a port in use: exit 2, one line, no stack', async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const port = (blocker.address() as { port: number }).port
    try {
      const mock = spawnMock(['--port', String(port)])
      const { code } = await mock.exit
      assert.equal(code, 2)
      assert.match(mock.stderr(), /cannot listen on 127\.0\.0\.1:\d+: the port is already in use/)
      assert.equal(mock.stderr().trim().split('\n').length, 1, mock.stderr())
    } finally {
      blocker.close()
    }
  })
})

describe('startMockProcess', () => {
  test('starts the command on a free port, serves, and stop() ends it', async () => {
    const lines: string[] = []
    const mock = await startMockProcess({ timeScale: 0, seed: 3, onLog: (line) => lines.push(line) })
    assert.match(mock.url, /^http:\/\/127\.0\.0\.1:\d+$/)
    assert.ok(isAlive(mock.pid))
    const health = await fetch(`${mock.url}/health`)
    assert.deepEqual(await health.json(), { status: 'ok' })
    const notFound = await fetch(`${mock.url}/nowhere`)
    assert.equal(notFound.status, 404)
    await mock.stop()
    assert.equal(isAlive(mock.pid), false)
    assert.ok(
      lines.some((line) => line.includes('404 GET /nowhere')),
      `the child's error log reached onLog: ${lines.join(' | ')}`,
    )
    await mock.stop() // a second stop is harmless
  })

  test('a start that fails rejects with the reason', async () => {
    await assert.rejects(startMockProcess({ workers: 0 }), /did not start[\s\S]*--workers must be at least 1/)
  })
})
