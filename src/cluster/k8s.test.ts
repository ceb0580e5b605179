import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { parseAllDocuments } from 'yaml'
import { resolveRunConfig } from '../config/load.js'
import { IMAGE_UID, type K8sOptions, k8sInstructions, k8sManifests, k8sYaml } from './k8s.js'
import { SHARD_ENV, shardScript } from './k8s-shard.js'

process.env.CHECKIN_LOAD_TEST_TOKEN = 'not-a-secret'
const config = resolveRunConfig({
  flags: {
    target: 'https://staging-api.va.gov',
    durationMs: 600_000,
    scale: 2,
    maxInFlight: 10_000,
    connections: 90,
    headersFromEnv: { authorization: 'CHECKIN_LOAD_TEST_TOKEN' },
    thresholds: [
      { metric: 'http_req_failed', conditions: ['rate<0.01'], abortOnFail: true, delayAbortEvalMs: 30_000 },
    ],
  },
})
const startAtMs = Date.parse('2030-01-01T00:00:00Z')
const options: K8sOptions = {
  shards: 4,
  runId: 'stress-1',
  startAtMs,
  image: 'registry.example.com/checkin-load:1',
  imagePullPolicy: 'IfNotPresent',
  namespace: 'load',
  secretName: 'checkin-load-secrets',
  storage: '2Gi',
  prometheusPort: 9464,
  collectWithinS: 3600,
}
const yamlText = k8sYaml(k8sManifests(config, options), k8sInstructions(options, '9.9.9'))
const docs = parseAllDocuments(yamlText).map((d) => d.toJS())
type Manifest = { kind: string; metadata: { name: string; namespace: string }; [key: string]: unknown }
const byKind = (kind: string) => docs.find((d: Manifest) => d.kind === kind)
const job = byKind('Job')
const pod = job.spec.template
const container = pod.spec.containers[0]
const env = Object.fromEntries(
  container.env.map((e: { name: string; value?: string; valueFrom?: unknown }) => [
    e.name,
    e.value ?? e.valueFrom,
  ]),
)

test('the manifests are a ConfigMap and an Indexed Job, in the namespace', () => {
  assert.deepEqual(
    docs.map((d: Manifest) => d.kind),
    ['ConfigMap', 'Job'],
  )
  for (const doc of docs) assert.equal(doc.metadata.namespace, 'load')
})

test('the Job runs N shards at once, from one start time, through the shard script', () => {
  assert.equal(job.apiVersion, 'batch/v1')
  assert.equal(job.spec.completionMode, 'Indexed')
  assert.equal(job.spec.completions, 4)
  assert.equal(job.spec.parallelism, 4)
  assert.equal(pod.spec.restartPolicy, 'Never')
  assert.equal(container.image, 'registry.example.com/checkin-load:1')
  assert.equal(container.imagePullPolicy, 'IfNotPresent')
  assert.deepEqual(container.command, ['/bin/sh', '-c', shardScript()])
  assert.equal(env[SHARD_ENV.shards], '4')
  assert.equal(env[SHARD_ENV.startAt], '2030-01-01T00:00:00.000Z')
  assert.equal(env[SHARD_ENV.runId], 'stress-1')
  assert.equal(env[SHARD_ENV.configDir], '/etc/checkin-load')
  assert.equal(env[SHARD_ENV.resultsDir], '/results')
  assert.ok(env.JOB_COMPLETION_INDEX, 'the index is declared')
  assert.deepEqual(env.CHECKIN_LOAD_TEST_TOKEN, {
    secretKeyRef: { name: 'checkin-load-secrets', key: 'CHECKIN_LOAD_TEST_TOKEN' },
  })
  assert.doesNotMatch(JSON.stringify(docs), /not-a-secret/, 'secrets stay in the Secret')
})

test("exit codes: a shard's threshold verdict (99) ends its pod with 0; other failures fail only their index, unretried", () => {
  assert.equal(job.spec.backoffLimitPerIndex, 0)
  assert.equal(job.spec.backoffLimit, undefined, 'backoffLimit 0 would stop every shard at the first failure')
  assert.match(shardScript(), /if \[ "\$code" = 99 \]; then[\s\S]*exit 0\nfi\nexit "\$code"/)
  assert.ok(
    job.spec.activeDeadlineSeconds > 600 + 630 + 3600,
    'the Job is bounded after run, drain and collection',
  )
})

test("the pod's security context matches the image's user, so that its volumes are writable", () => {
  const dockerfile = readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8')
  const users = [...dockerfile.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1])
  assert.deepEqual(
    users,
    [`${IMAGE_UID}:${IMAGE_UID}`],
    "the Dockerfile's user is numeric, as runAsNonRoot checks",
  )
  assert.deepEqual(pod.spec.securityContext, {
    runAsNonRoot: true,
    runAsUser: 1000,
    runAsGroup: 1000,
    fsGroup: 1000,
    seccompProfile: { type: 'RuntimeDefault' },
  })
  assert.equal(container.securityContext.allowPrivilegeEscalation, false)
  assert.deepEqual(container.securityContext.capabilities, { drop: ['ALL'] })
})

test('storage: an emptyDir per pod (every cluster has one), no claim; the results are collected', () => {
  const volumes = Object.fromEntries(pod.spec.volumes.map((v: { name: string }) => [v.name, v]))
  assert.deepEqual(volumes.results, { name: 'results', emptyDir: { sizeLimit: '2Gi' } })
  assert.equal(volumes.config.configMap.name, byKind('ConfigMap').metadata.name)
  assert.ok(!docs.some((d: Manifest) => d.kind === 'PersistentVolumeClaim'))
  assert.match(yamlText, /^# +kubectl -n load cp "\$pod:\/results\/shard-\$i" "collected\/shard-\$i"$/m)
  assert.match(yamlText, /^# +checkin-load merge collected\/shard-\* --out results\/stress-1$/m)
  assert.match(yamlText, /^# checkin-load 9\.9\.9: run stress-1, 4 shards from 2030-01-01T00:00:00\.000Z$/m)
})

test('pods are annotated for Prometheus scraping', () => {
  assert.equal(pod.metadata.annotations['prometheus.io/scrape'], 'true')
  assert.equal(pod.metadata.annotations['prometheus.io/port'], '9464')
  assert.equal(pod.metadata.labels['checkin-load/run-id'], 'stress-1')
})

test('every time value is quoted: a YAML 1.1 reader (PyYAML, linters) sees no timestamp', () => {
  assert.match(yamlText, /value: "2030-01-01T00:00:00\.000Z"/)
  assert.doesNotMatch(yamlText, /: [&*]a\d/, 'no YAML anchors or aliases: plain manifests for every tool')
  const strings: unknown[] = []
  const walk = (v: unknown) => {
    if (v instanceof Date) strings.push(v)
    else if (Array.isArray(v)) v.forEach(walk)
    else if (v && typeof v === 'object') Object.values(v).forEach(walk)
  }
  for (const doc of parseAllDocuments(yamlText, { version: '1.1' })) walk(doc.toJS())
  assert.deepEqual(strings, [])
})

test("the ConfigMap's run.json gives back the run's config, with the caps shared out among the pods", () => {
  const dir = mkdtempSync(join(tmpdir(), 'checkin-load-k8s-'))
  const file = join(dir, 'run.json')
  writeFileSync(file, byKind('ConfigMap').data['run.json'])
  const back = resolveRunConfig({ configFile: file })
  assert.equal(back.target, 'https://staging-api.va.gov')
  assert.equal(back.scale, 2)
  assert.deepEqual(back.stages, config.stages)
  assert.deepEqual(back.thresholds, config.thresholds)
  assert.deepEqual(back.headersFromEnv, { authorization: 'CHECKIN_LOAD_TEST_TOKEN' })
  assert.equal(back.maxInFlight, 2500, '10,000 flows in flight over 4 pods, as --workers 4 shares them')
  assert.equal(back.connections, 23, '90 connections over 4 pods, rounded up')
})
