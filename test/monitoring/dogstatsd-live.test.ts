import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { Summary } from '../../src/model/results.js'
import { BIN } from '../helpers/cli.js'

/**
 * `checkin-load run --dogstatsd` against a UDP listener standing in for the Datadog agent: what
 * the agent would count must be what summary.json counts, request for request, and the latency
 * distribution must carry one sample per answered request.
 */

interface Line {
  name: string
  values: number[]
  type: string
  rate: number
  tags: Map<string, string>
}

function parse(text: string): Line {
  const [head, type, ...fields] = text.split('|')
  const [name, ...values] = head!.split(':')
  const line: Line = { name: name!, values: values.map(Number), type: type!, rate: 1, tags: new Map() }
  for (const field of fields) {
    if (field.startsWith('@')) line.rate = Number(field.slice(1))
    if (field.startsWith('#'))
      for (const tag of field.slice(1).split(',')) {
        const c = tag.indexOf(':')
        line.tags.set(c < 0 ? tag : tag.slice(0, c), c < 0 ? '' : tag.slice(c + 1))
      }
  }
  return line
}

test('a run sends DogStatsD counts that add up to summary.json', async () => {
  const agent = createSocket('udp4')
  const lines: Line[] = []
  agent.on('message', (msg) => {
    for (const text of msg.toString('utf8').split('\n')) if (text !== '') lines.push(parse(text))
  })
  await new Promise<void>((resolve) => agent.bind(0, '127.0.0.1', resolve))
  const dir = await mkdtemp(join(tmpdir(), 'checkin-load-dd-'))
  try {
    // global tags from a config file (the `tags` key; --tag on the command line is the same list)
    await writeFile(join(dir, 'config.json'), JSON.stringify({ tags: ['env:ci'] }))
    const args = [
      'run',
      '--duration',
      '4s',
      '--scale',
      '0.2',
      '--seed',
      '3',
      '--dogstatsd',
      `127.0.0.1:${(agent.address() as AddressInfo).port}`,
      '--config',
      join(dir, 'config.json'),
      '--quiet',
      '--out',
      dir,
      '--run-id',
      'dd-live',
    ]
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1' } })
      let out = ''
      child.stdout.on('data', (d) => (out += d))
      child.stderr.on('data', (d) => (out += d))
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
      child.on('error', reject)
      child.on('exit', (c) => {
        clearTimeout(timer)
        resolve({ code: c, output: out })
      })
    })
    assert.equal(code, 0, output)
    const summary = JSON.parse(await readFile(join(dir, 'dd-live', 'summary.json'), 'utf8')) as Summary
    // the datagrams were sent before the process exited; give the socket a moment to read them
    await new Promise((r) => setTimeout(r, 300))

    for (const line of lines) {
      assert.equal(line.tags.get('run_id'), 'dd-live')
      assert.equal(line.tags.get('env'), 'ci')
      assert.equal(line.tags.get('shard'), '0')
    }
    const sum = (name: string, endpoint?: string, weighValues = false) =>
      lines
        .filter((l) => l.name === name && (endpoint === undefined || l.tags.get('endpoint') === endpoint))
        .reduce((n, l) => n + (weighValues ? l.values.length * Math.trunc(1 / l.rate) : l.values[0]!), 0)
    assert.ok(summary.total.requests > 50, `${summary.total.requests} requests`)
    // every row, the CORS preflights' too (summary.total is the profile's table: without them)
    const allRows = (key: 'requests' | 'dropped') =>
      Object.values(summary.endpoints).reduce((n, e) => n + e[key], 0)
    assert.equal(sum('checkin_load.requests'), allRows('requests'))
    for (const [endpoint, stats] of Object.entries(summary.endpoints)) {
      assert.equal(sum('checkin_load.requests', endpoint), stats.requests, endpoint)
      // one latency sample per answer (requests minus transport failures)
      const transport = Object.entries(stats.errors)
        .filter(([kind]) => kind !== 'http_4xx' && kind !== 'http_5xx')
        .reduce((n, [, c]) => n + (c ?? 0), 0)
      assert.equal(sum('checkin_load.request_duration', endpoint, true), stats.requests - transport, endpoint)
    }
    assert.equal(sum('checkin_load.dropped'), allRows('dropped'))
    assert.ok(lines.some((l) => l.name === 'checkin_load.in_flight' && l.type === 'g'))
    const verdicts = lines.filter((l) => l.name === 'checkin_load.threshold_ok')
    assert.equal(verdicts.length, summary.thresholds.length)
  } finally {
    agent.close()
    await rm(dir, { recursive: true, force: true })
  }
})
