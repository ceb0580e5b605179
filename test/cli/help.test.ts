import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { Command, Option } from 'commander'
import { buildProgram } from '../../src/cli/main.js'

/**
 * Every command's --help lists only options it accepts, checked mechanically: for each command and
 * each option its help shows, the command is parsed and run in this process with that option (and
 * a plausible value), and must get past every check of what applies to it. To stop before any load,
 * each run is also given something that fails right after those checks (a config file or run
 * folder that does not exist): that failure, and no other, is the expected outcome. `mock`'s
 * action would listen on a port: it is replaced by a no-op (mock refuses nothing as inapplicable).
 */
const dir = mkdtempSync(join(tmpdir(), 'checkin-load-help-'))
const MISSING = join(dir, 'missing')

/** What each command's run ends with when it got past its option checks. */
const ENDS: Readonly<Record<string, { readonly argv: readonly string[]; readonly end?: RegExp }>> = {
  run: { argv: ['--config', `${MISSING}.yaml`], end: /config file .* does not exist/ },
  config: { argv: ['--config', `${MISSING}.yaml`], end: /config file .* does not exist/ },
  capacity: { argv: ['--config', `${MISSING}.yaml`], end: /config file .* does not exist/ },
  k8s: {
    argv: ['--shards', '2', '--image', 'registry.example.com/checkin-load:1', '--config', `${MISSING}.yaml`],
    end: /config file .* does not exist/,
  },
  'export k6': { argv: ['--config', `${MISSING}.yaml`], end: /config file .* does not exist/ },
  report: { argv: [MISSING], end: /does not exist/ },
  compare: { argv: [MISSING, MISSING], end: /does not exist|not a checkin-load run/ },
  merge: {
    argv: [MISSING, '--out', join(dir, 'merged')],
    end: /does not exist|not a checkin-load run|no run folder/,
  },
  profile: { argv: [] },
  mock: { argv: [] },
}

const SPECIAL: Readonly<Record<string, string>> = {
  '--target': 'http://127.0.0.1:9',
  '--origin': 'https://staging.va.gov',
  '--config': `${MISSING}.yaml`,
  '--profile': 'vets-api-checkin',
  '--stages': '1s:0.1',
  '--threshold': 'http_req_failed: rate<0.01',
  '--slo': 'http_req_failed: rate<0.01',
  '--header': 'X-A: b',
  '--header-from-env': 'X-A=HOME',
  '--shard': '0/2',
  '--start-at': new Date(Date.now() + 3_600_000).toISOString(),
  '--tag': 'a:b',
  '--dogstatsd': '127.0.0.1:8125',
  '--factor': '1.5',
  '--run-id': 'help-check',
  '--junit': join(dir, 'j.xml'),
  '--markdown': join(dir, 'm.md'),
  '--out': join(dir, 'out'),
  '--baseline': dir,
  '--storage': '1Gi',
  '--host': '127.0.0.1',
}

const BY_PLACEHOLDER: Readonly<Record<string, string>> = {
  '<n>': '2',
  '<x>': '0.5',
  '<f>': '0.5',
  '<r>': '0.1',
  '<d>': '2s',
}

function sampleArgs(option: Option): string[] {
  if (!option.required && !option.optional) return [option.long!]
  const placeholder = /<[^>]+>|\[[^\]]+\]/.exec(option.flags)?.[0] ?? ''
  const value =
    SPECIAL[option.long!] ?? option.argChoices?.[0] ?? BY_PLACEHOLDER[placeholder] ?? join(dir, 'some-file')
  return [option.long!, value]
}

function subcommand(program: Command, name: string): Command {
  let command: Command | undefined = program
  for (const part of name.split(' ')) command = command?.commands.find((c) => c.name() === part)
  assert.ok(command, name)
  return command
}

/** Every command that runs an action, by its words (`export k6`): those with no subcommand. */
function leafCommands(command: Command, prefix: string[] = []): { name: string; command: Command }[] {
  return command.commands.flatMap((c) =>
    c.commands.length === 0
      ? [{ name: [...prefix, c.name()].join(' '), command: c }]
      : leafCommands(c, [...prefix, c.name()]),
  )
}

/** Parses and runs `name` with `args`; the error it ended with, or undefined. */
async function attempt(name: string, args: readonly string[]): Promise<Error | undefined> {
  const program = buildProgram()
  program.configureOutput({ writeErr: () => {}, writeOut: () => {}, outputError: () => {} })
  for (const c of program.commands)
    c.configureOutput({ writeErr: () => {}, writeOut: () => {}, outputError: () => {} })
  if (name === 'mock') subcommand(program, 'mock').action(() => {})
  try {
    await program.parseAsync([...name.split(' '), ...args], { from: 'user' })
    return undefined
  } catch (error) {
    return error as Error
  } finally {
    // (profile prints its table: the test runner shows it as notes; stubbing stdout would swallow the runner's own output)
    process.exitCode = undefined
  }
}

const REFUSED =
  /does not apply|does not use|unknown option|leave it out|too many arguments|is for the embedded stand-in/

const listed = leafCommands(buildProgram()).map(({ name, command }) => ({
  name,
  options: command
    .createHelp()
    .visibleOptions(command)
    .filter((o) => o.long !== '--help'),
}))

test('every command is checked', () => {
  assert.deepEqual(listed.map((c) => c.name).sort(), Object.keys(ENDS).sort())
})

for (const { name, options } of listed) {
  test(`${name} --help lists only options ${name} accepts (${options.length} options)`, async () => {
    const { argv, end } = ENDS[name]!
    const problems: string[] = []
    for (const option of options) {
      const own = sampleArgs(option)
      // an option the end already gives (k8s --shards, --config) is given once, as the end gives it
      const args = argv.includes(option.long!) ? [...argv] : [...own, ...argv]
      const error = await attempt(name, args)
      const message = error?.message ?? ''
      if (REFUSED.test(message) || (end ? !end.test(message) : error !== undefined)) {
        problems.push(`${name} ${args.join(' ')}: ${message || 'no error'}`)
      }
    }
    assert.deepEqual(problems, [])
  })
}

test('the check can fail: options a command refuses are refused, and not in its help', async () => {
  for (const [name, flag, value] of [
    ['capacity', '--duration', '1s'],
    ['capacity', '--junit', join(dir, 'j.xml')],
    ['capacity', '--workers', '2'],
    ['k8s', '--out', dir],
    ['k8s', '--junit', join(dir, 'j.xml')],
    ['k8s', '--baseline', dir],
    ['k8s', '--mock-preset', 'fast'],
    ['export k6', '--junit', join(dir, 'j.xml')],
    ['export k6', '--workers', '2'],
  ] as const) {
    const error = await attempt(name, [flag, value, ...ENDS[name]!.argv])
    assert.match(error?.message ?? '', REFUSED, `${name} ${flag}`)
    assert.match(error?.message ?? '', new RegExp(flag), `${name} ${flag}: the message names the flag`)
    const shown = listed.find((c) => c.name === name)!.options.map((o) => o.long)
    assert.ok(!shown.includes(flag), `${name} --help lists ${flag}`)
  }
})

test('k8s --help does not say --target defaults to the embedded stand-in (it is required)', () => {
  const k8s = subcommand(buildProgram(), 'k8s')
  const target = k8s
    .createHelp()
    .visibleOptions(k8s)
    .find((o) => o.long === '--target')!
  assert.doesNotMatch(target.description, /embedded stand-in/)
  assert.match(target.description, /required/)
})

test('--workers: generator processes for run, the target’s pool is --server-workers for profile and mock', () => {
  const program = buildProgram()
  const help = (name: string) => subcommand(program, name).helpInformation()
  assert.match(help('run'), /--workers <n>\s+worker processes/)
  for (const name of ['profile', 'mock']) {
    assert.match(help(name), /--server-workers <n>/)
    assert.doesNotMatch(help(name), /^\s+--workers/m, `${name} --help lists --workers`)
  }
})
