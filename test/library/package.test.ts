import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

/**
 * The package as another application sees it: a folder outside the repository with its own
 * package.json and `node_modules/checkin-load` (a link to this package, as `npm install <path>`
 * makes; no registry needed), a strict TypeScript file that imports it by name, type-checked and
 * compiled with tsc, then run: it starts the stand-in, runs 3 s of the profile with quiet: true,
 * and prints the summary it gets back.
 */
const REPO = fileURLToPath(new URL('../../../', import.meta.url))
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc')
const run = promisify(execFile)

const APP = `import {
  type CapacityFile,
  capacity,
  type DerivedProfile,
  profile,
  readRun,
  run,
  startMock,
  type Summary,
} from 'checkin-load'

// type-checked, not run: a capacity search takes minutes
export async function search(url: string): Promise<number | undefined> {
  const file: CapacityFile = await capacity({ target: url, start: 0.5, stepDurationMs: 10_000, quiet: true })
  return file.verdict.held?.totalRps
}

const out = process.argv[2]
if (out === undefined) throw new Error('usage: main.js <out>')
const mock = await startMock({ seed: 7 })
let summary: Summary
try {
  summary = await run({ target: mock.url, durationMs: 3000, arrival: 'constant', quiet: true, out, runId: 'lib' })
} finally {
  await mock.close()
}
const again: Summary = await readRun(\`\${out}/lib\`)
const requests: number = summary.total.requests
const rates: DerivedProfile = await profile({ scale: 2 })
process.stdout.write(
  \`\${JSON.stringify({ requests, endpoints: Object.keys(summary.endpoints), again: again.runId, totalRps: rates.totalRps })}\\n\`,
)
`

test('another application imports the package by name, type-checks strictly, runs 3 s and gets the summary back', async () => {
  const app = mkdtempSync(join(tmpdir(), 'checkin-load-app-'))
  try {
    writeFileSync(
      join(app, 'package.json'),
      `${JSON.stringify({ name: 'app', private: true, type: 'module', dependencies: { 'checkin-load': `file:${REPO}` } }, null, 2)}\n`,
    )
    mkdirSync(join(app, 'node_modules'))
    symlinkSync(REPO, join(app, 'node_modules', 'checkin-load'), 'dir')
    mkdirSync(join(app, 'src'))
    writeFileSync(join(app, 'src', 'main.ts'), APP)
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noUncheckedIndexedAccess: true,
          exactOptionalPropertyTypes: true,
          skipLibCheck: true,
          outDir: 'dist',
          rootDir: 'src',
          types: ['node'],
          typeRoots: [join(REPO, 'node_modules', '@types')],
        },
        include: ['src/**/*.ts'],
      }),
    )
    // type-check and compile (a type error fails here, with tsc's message)
    await run(process.execPath, [TSC, '-p', join(app, 'tsconfig.json')], { cwd: app }).catch((error) => {
      assert.fail(`tsc failed on the application:\n${error.stdout}${error.stderr}`)
    })
    const out = join(app, 'results')
    const { stdout, stderr } = await run(process.execPath, [join(app, 'dist', 'main.js'), out], {
      cwd: app,
      timeout: 120_000,
    })
    // quiet: the library printed nothing; the one line is the application's own
    const lines = stdout.trim().split('\n')
    assert.equal(lines.length, 1, `stdout: ${stdout}\nstderr: ${stderr}`)
    assert.equal(stderr, '')
    const result = JSON.parse(lines[0]!) as {
      requests: number
      endpoints: string[]
      again: string
      totalRps: number
    }
    assert.ok(result.requests > 0, `requests ${result.requests}`)
    assert.deepEqual([...result.endpoints].sort(), [
      'get_patient_check_in',
      'get_pre_check_in',
      'get_session',
      'post_patient_check_in',
      'post_pre_check_in',
      'post_session',
      // browser traffic by default: the stand-in answers CORS preflights, reported in a row of their own
      'preflight',
    ])
    assert.equal(result.again, 'lib')
    assert.ok(result.totalRps > 0, `profile at 2x: ${result.totalRps} req/s`)
    const written = JSON.parse(readFileSync(join(out, 'lib', 'summary.json'), 'utf8')) as {
      total: { requests: number }
    }
    assert.equal(written.total.requests, result.requests)
  } finally {
    rmSync(app, { recursive: true, force: true })
  }
})
