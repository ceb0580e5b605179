import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { resolveRunConfig } from '../config/load.js'
import { defaultWorkers, HEADER_ENV_PREFIX, workerArgs, workerLaunch, workersOf } from './fleet.js'

const DEFAULTS: [string, { target?: string; shard?: { index: number; count: number } }, number, number][] = [
  ['external target, 8 cores', { target: 'http://127.0.0.1:1' }, 8, 7],
  ['external target, 2 cores', { target: 'http://127.0.0.1:1' }, 2, 1],
  ['external target, 1 core', { target: 'http://127.0.0.1:1' }, 1, 1],
  ['embedded stand-in, 8 cores', {}, 8, 1],
  ['a shard (a pod, a worker)', { target: 'http://127.0.0.1:1', shard: { index: 0, count: 4 } }, 8, 1],
]

for (const [name, config, cores, workers] of DEFAULTS) {
  test(`defaultWorkers: ${name} -> ${workers}`, () => {
    assert.equal(defaultWorkers(config, cores), workers)
  })
}

test('workersOf: --workers wins; --workers N with --shard is refused', () => {
  assert.equal(workersOf({ workers: 3, target: undefined, shard: undefined }), 3)
  assert.throws(() => workersOf({ workers: 2, target: undefined, shard: { index: 0, count: 2 } }), {
    code: 'CL_CONFIG',
    message: /--workers and --shard do not go together/,
  })
})

test('the workers’ config file gives back the run’s config, caps shared out, without secrets or aborts', () => {
  process.env.CHECKIN_LOAD_FLEET_TEST_TOKEN = 'from-env'
  const config = resolveRunConfig({
    flags: {
      target: 'http://127.0.0.1:1',
      durationMs: 90_000,
      scale: 3,
      workers: 2,
      maxInFlight: 101,
      connections: 64,
      dogstatsd: '127.0.0.1:8125',
      prometheusPort: 9464,
      headers: { 'x-api-key': 'literal-secret' },
      headersFromEnv: { authorization: 'CHECKIN_LOAD_FLEET_TEST_TOKEN' },
      thresholds: [
        { metric: 'http_req_failed', conditions: ['rate<0.01'], abortOnFail: true, delayAbortEvalMs: 5000 },
        {
          metric: 'http_req_failed',
          conditions: ['rate<0.05'],
          abortOnFail: false,
          delayAbortEvalMs: 10_000,
        },
      ],
    },
  })
  const launch = workerLaunch(config, 2)
  const text = JSON.stringify(launch.file)
  assert.doesNotMatch(text, /literal-secret|from-env/, 'no secret in the file (it stays in the run folder)')
  assert.equal(launch.env[`${HEADER_ENV_PREFIX}0`], 'literal-secret', 'the literal header travels in the env')
  const dir = mkdtempSync(join(tmpdir(), 'checkin-load-fleet-'))
  const file = join(dir, 'run.json')
  writeFileSync(file, text)
  Object.assign(process.env, launch.env)
  try {
    const back = resolveRunConfig({ configFile: file })
    assert.equal(back.target, 'http://127.0.0.1:1')
    assert.equal(back.scale, 3)
    assert.deepEqual(back.stages, config.stages)
    assert.equal(back.startShare, config.startShare)
    assert.equal(back.workers, undefined, 'a worker does not spawn workers')
    assert.equal(back.dogstatsd, undefined, 'only the parent exports')
    assert.equal(back.prometheusPort, undefined)
    assert.equal(back.quiet, true)
    assert.equal(back.maxInFlight, 51, 'the in-flight cap is shared out')
    assert.equal(back.connections, 32)
    assert.deepEqual(
      back.thresholds.map((t) => [t.metric, t.conditions, t.abortOnFail]),
      [['http_req_failed', ['rate<0.01', 'rate<0.05'], false]],
      'both conditions of one metric survive; the parent alone aborts',
    )
    assert.deepEqual(back.headersFromEnv, {
      authorization: 'CHECKIN_LOAD_FLEET_TEST_TOKEN',
      'x-api-key': `${HEADER_ENV_PREFIX}0`,
    })
  } finally {
    for (const name of Object.keys(launch.env)) delete process.env[name]
    rmSync(dir, { recursive: true, force: true })
  }
})

test('a worker’s command line: its shard, the shared seed and run id, its own folder', () => {
  const args = workerArgs(
    { runId: 'r1', runDir: join('results', 'r1'), seed: 42, target: 'http://127.0.0.1:5' },
    1,
    3,
    'results/r1/shards/run.json',
  )
  const arg = (flag: string) => args[args.indexOf(flag) + 1]
  assert.equal(args[0], 'run')
  assert.equal(arg('--shard'), '1/3')
  assert.equal(arg('--seed'), '42')
  assert.equal(arg('--run-id'), 'r1')
  assert.equal(arg('--out'), join('results', 'r1', 'shards', '1'))
  assert.equal(arg('--target'), 'http://127.0.0.1:5')
  assert.equal(arg('--workers'), '1')
  assert.ok(args.includes('--quiet'))
  assert.ok(!args.includes('--start-at'), 'the start time comes over IPC once every worker is ready')
})
