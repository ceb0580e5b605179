import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { cli } from '../helpers/cli.js'

const dir = mkdtempSync(join(tmpdir(), 'checkin-load-cli-'))
const brokenYaml = join(dir, 'broken.yaml')
writeFileSync(brokenYaml, 'scale: [1,\n')

// Every user mistake: exit code 2, one or two lines that say what to fix, never a stack trace.
const BAD_INPUTS: readonly (readonly [string, readonly string[], RegExp])[] = [
  ['unknown flag', ['config', '--scael', '2'], /unknown option '--scael'\n\(Did you mean --scale\?\)/],
  ['unknown flag, no suggestion', ['profile', '--frobnicate'], /unknown option '--frobnicate'/],
  ['unknown command', ['runn'], /unknown command 'runn'/],
  ['bad number', ['config', '--scale', 'abc'], /--scale must be a number, got "abc"/],
  ['zero scale', ['config', '--scale', '0'], /--scale must be greater than 0/],
  ['fractional integer', ['config', '--max-in-flight', '2.5'], /--max-in-flight must be a whole number/],
  ['bad duration', ['config', '--duration', '5 minutes'], /invalid --duration "5 minutes".*like 250ms/],
  ['bad timeout', ['config', '--timeout', 'soon'], /invalid --timeout "soon"/],
  ['bad stage list', ['config', '--stages', '1m:0.1,5m'], /invalid stage "5m": write DURATION:SHARE/],
  ['stages and duration', ['config', '--stages', '1m:1', '--duration', '1m'], /both stages and a duration/],
  [
    'missing config file',
    ['config', '--config', join(dir, 'missing.yaml')],
    /config file ".*missing.yaml" does not exist/,
  ],
  ['malformed config file', ['config', '--config', brokenYaml], /is not valid YAML/],
  ['unsupported URL scheme', ['config', '--target', 'ftp://127.0.0.1:21'], /unsupported URL scheme "ftp:"/],
  ['not a URL', ['config', '--target', 'nowhere'], /give a full URL/],
  [
    'production host',
    ['config', '--target', 'https://api.va.gov'],
    /refusing to load-test production host "api.va.gov"/,
  ],
  ['bad arrival', ['config', '--arrival', 'bursty'], /argument 'bursty' is invalid.*poisson, constant/],
  ['bad header', ['config', '--header', 'no-colon'], /invalid header: no "Name:" before its value/],
  ['bad shard', ['config', '--shard', '3/2'], /invalid --shard "3\/2"/],
  ['bad start time', ['config', '--start-at', 'tomorrow'], /invalid start time "tomorrow"/],
  ['bad threshold', ['config', '--threshold', 'p95<500'], /invalid --threshold "p95<500"/],
  ['rate cap', ['config', '--scale', '500'], /over the 20000 req\/s cap: lower --scale or pass --no-limits/],
  ['bad preset', ['profile', '--preset', 'prod'], /argument 'prod' is invalid/],
  ['unknown profile', ['profile', '--profile', 'vets-api'], /unknown profile "vets-api"/],
  ['negative estimate', ['profile', '--check-ins-per-hour', '-5'], /--check-ins-per-hour must be at least 0/],
]

for (const [name, args, message] of BAD_INPUTS) {
  test(`bad input: ${name} -> exit 2 and a message`, () => {
    const { code, stderr } = cli(args)
    assert.equal(code, 2, `exit code for ${args.join(' ')}; stderr: ${stderr}`)
    assert.match(stderr, message)
    assert.doesNotMatch(stderr, /\n\s+at .*\(.*:\d+:\d+\)/, 'no stack trace')
    assert.ok(stderr.trim().split('\n').length <= 2, `one or two lines, got:\n${stderr}`)
  })
}

test('good input: config prints the resolved RunConfig, header values redacted', () => {
  const { code, stdout } = cli([
    'config',
    '--scale',
    '2',
    '--duration',
    '30s',
    '--header',
    'Authorization: Bearer s3cret',
  ])
  assert.equal(code, 0)
  const config = JSON.parse(stdout)
  assert.equal(config.scale, 2)
  assert.deepEqual(config.stages, [{ durationMs: 30_000, target: 1 }])
  assert.equal(config.headers.authorization, '<redacted>')
  assert.doesNotMatch(stdout, /s3cret/)
})

test('--help exits 0 and lists the commands', () => {
  const { code, stdout } = cli(['--help'])
  assert.equal(code, 0)
  for (const command of ['run', 'mock', 'profile', 'report', 'compare', 'capacity', 'merge', 'k8s', 'config'])
    assert.match(stdout, new RegExp(`\\b${command}\\b`))
})
