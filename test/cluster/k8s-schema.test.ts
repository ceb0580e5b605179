import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Job } from 'kubernetes-models/batch/v1/Job'
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap'
import { parseAllDocuments } from 'yaml'
import { BIN } from './helpers.js'

/**
 * Every manifest `checkin-load k8s` can print, checked against Kubernetes' own API schema: the
 * `kubernetes-models` package (4.5.x: generated from the OpenAPI spec of Kubernetes 1.33) in two
 * ways. At run time, its validators (JSON Schema compiled by ajv) check types, enums, formats and
 * required fields. The OpenAPI schema allows unknown fields, which the API server's strict field
 * validation (kubectl's default) rejects; so each manifest is also type-checked by tsc against
 * the package's interfaces for that kind, where an unknown or misspelt field is an error.
 */
const REPO = fileURLToPath(new URL('../../..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'checkin-load-k8s-schema-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const profileFile = join(dir, 'profile.yaml')
writeFileSync(
  profileFile,
  'name: one\nflows:\n  - name: ping\n    arrivalsPerMinute: 60\n    steps:\n      - { endpoint: get_session, method: GET, path: /ping }\n',
)

const BASE = [
  'k8s',
  '--shards',
  '3',
  '--image',
  'registry.example.com/checkin-load:0.1.0',
  '--target',
  'https://staging.example.test',
]
/** Each optional flag of `k8s` at least once, and the run flags that change the manifests. */
const VARIANTS: Record<string, string[]> = {
  minimal: [],
  'every k8s flag': [
    '--namespace',
    'load',
    '--image-pull-policy',
    'Always',
    '--start-in',
    '10m',
    '--secret-name',
    'keys',
    '--storage',
    '500Mi',
    '--collect-within',
    '30m',
    '--metrics-port',
    '9100',
    '--run-id',
    'stress-2026-12-01',
  ],
  'secrets, caps, thresholds': [
    '--header-from-env',
    'X-Api-Key=CHECKIN_LOAD_SCHEMA_KEY',
    '--max-in-flight',
    '1000',
    '--connections',
    '64',
    '--threshold',
    'http_req_duration{endpoint:post_session}: p(95)<500',
    '--stages',
    '5m:0.5,10m:1',
    '--image-pull-policy',
    'Never',
  ],
  'a profile file': ['--profile', profileFile, '--shards', '1'],
}

function printManifests(args: string[]): Record<string, unknown>[] {
  const ran = spawnSync(process.execPath, [BIN, ...BASE, ...args], {
    encoding: 'utf8',
    env: { ...process.env, CHECKIN_LOAD_SCHEMA_KEY: 'x' },
  })
  assert.equal(ran.status, 0, ran.stderr)
  return parseAllDocuments(ran.stdout).map((doc) => doc.toJS())
}

const printed = Object.fromEntries(
  Object.entries(VARIANTS).map(([name, args]) => [name, printManifests(args)]),
)

const MODELS: Record<string, { validate(doc: unknown): void; type: string; module: string }> = {
  'v1/ConfigMap': {
    validate: (doc) => new ConfigMap(doc as never).validate(),
    type: 'IConfigMap',
    module: 'kubernetes-models/v1/ConfigMap',
  },
  'batch/v1/Job': {
    validate: (doc) => new Job(doc as never).validate(),
    type: 'IJob',
    module: 'kubernetes-models/batch/v1/Job',
  },
}
const modelOf = (doc: Record<string, unknown>) => {
  const model = MODELS[`${doc.apiVersion}/${doc.kind}`]
  assert.ok(model, `a schema for ${doc.apiVersion} ${doc.kind}`)
  return model
}

test('every printed manifest passes the Kubernetes 1.33 schema (types, enums, required fields)', () => {
  for (const [name, docs] of Object.entries(printed)) {
    assert.deepEqual(
      docs.map((d) => d.kind),
      ['ConfigMap', 'Job'],
      name,
    )
    for (const doc of docs) assert.doesNotThrow(() => modelOf(doc).validate(doc), `${name}: ${doc.kind}`)
  }
})

test('the schema check can fail: a wrong enum, a string for a number, a missing container image', () => {
  // biome-ignore lint/suspicious/noExplicitAny: the test breaks the manifest at will
  const job = structuredClone(printed.minimal![1]!) as { spec: Record<string, any> }
  const broken = [
    (j: typeof job) => (j.spec.completionMode = 'Index'),
    (j: typeof job) => (j.spec.completions = '3'),
    (j: typeof job) => delete j.spec.template.spec.containers[0].name,
    (j: typeof job) => (j.spec.template.spec.containers[0].imagePullPolicy = 'Sometimes'),
    (j: typeof job) => (j.spec.template.spec.securityContext.runAsUser = '1000'),
  ]
  for (const breakIt of broken) {
    const copy = structuredClone(job)
    breakIt(copy)
    assert.throws(() => MODELS['batch/v1/Job']!.validate(copy), String(breakIt))
  }
})

test("no unknown field: every manifest type-checks against the schema's interfaces (tsc), and a misspelt one does not", () => {
  // inside the repository, so that tsc resolves kubernetes-models from its node_modules
  const checkDir = join(REPO, 'dist', '.k8s-schema-check')
  mkdirSync(checkDir, { recursive: true })
  const lines: string[] = []
  const imports = new Set<string>()
  let n = 0
  for (const [name, docs] of Object.entries(printed)) {
    for (const doc of docs) {
      const model = modelOf(doc)
      imports.add(`import type { ${model.type} } from '${model.module}'`)
      lines.push(`// ${name}: ${doc.kind}`, `export const m${n++}: ${model.type} = ${JSON.stringify(doc)}`)
    }
  }
  const misspelt = structuredClone(printed.minimal![1]!) as { spec: Record<string, unknown> }
  misspelt.spec.backofLimitPerIndex = 0
  lines.push('// the control: one unknown field', `export const bad: IJob = ${JSON.stringify(misspelt)}`)
  const file = join(checkDir, 'manifests.ts')
  writeFileSync(file, `${[...imports].join('\n')}\n${lines.join('\n')}\n`)
  const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc')
  const ran = spawnSync(
    process.execPath,
    [
      tsc,
      '--noEmit',
      '--strict',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--skipLibCheck',
      '--types',
      'node',
      file,
    ],
    { encoding: 'utf8', timeout: 120_000 },
  )
  const errors = ran.stdout.split('\n').filter((line) => /error TS/.test(line))
  assert.equal(errors.length, 1, ran.stdout)
  assert.match(errors[0]!, /backofLimitPerIndex\W+ does not exist/)
  assert.match(
    errors[0]!,
    new RegExp(`manifests\\.ts\\(${lines.length + imports.size},`),
    'on the control line only',
  )
})

test('k8s refuses what a cluster could not run: no --image, a bad --storage, a --shard of its own (exit 2, one line)', () => {
  for (const [args, message] of [
    [
      ['k8s', '--shards', '2', '--target', 'https://staging.example.test'],
      /required option '--image <image>'/,
    ],
    [[...BASE, '--storage', 'lots'], /invalid --storage "lots": give a Kubernetes quantity/],
    [[...BASE, '--shard', '0/2'], /k8s sets --shard for each pod itself/],
    [[...BASE, '--image-pull-policy', 'Sometimes'], /--image-pull-policy/],
    [
      [...BASE, '--header', 'X-Api-Key: s3cr3t'],
      /would write the value of --header x-api-key into the manifests: give it with --header-from-env/,
    ],
  ] as const) {
    const ran = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' })
    assert.equal(ran.status, 2, `${args.join(' ')}: ${ran.stderr}`)
    assert.match(ran.stderr, message)
    assert.equal(ran.stderr.trim().split('\n').length, 1, ran.stderr)
  }
})
