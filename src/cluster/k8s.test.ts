import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { parseAllDocuments } from 'yaml'
import { resolveRunConfig } from '../config/load.js'
import { k8sManifests, k8sYaml } from './k8s.js'

process.env.CHECKIN_LOAD_TEST_TOKEN = 'not-a-secret'
const config = resolveRunConfig({
  flags: {
    target: 'https://staging-api.va.gov',
    durationMs: 600_000,
    scale: 2,
    headersFromEnv: { authorization: 'CHECKIN_LOAD_TEST_TOKEN' },
    thresholds: [
      { metric: 'http_req_failed', conditions: ['rate<0.01'], abortOnFail: true, delayAbortEvalMs: 30_000 },
    ],
  },
})
const startAtMs = Date.parse('2030-01-01T00:00:00Z')
const options = {
  shards: 4,
  runId: 'stress-1',
  startAtMs,
  image: 'registry.example.com/checkin-load:1',
  namespace: 'load',
  secretName: 'checkin-load-secrets',
  resultsClaim: 'checkin-load-results',
  createClaim: true,
  storage: '2Gi',
  prometheusPort: 9464,
}
const docs = parseAllDocuments(k8sYaml(k8sManifests(config, options))).map((d) => d.toJS())
type Manifest = { kind: string; metadata: { name: string; namespace: string }; [key: string]: unknown }
const byKind = (kind: string) => docs.find((d: Manifest) => d.kind === kind)

test('the manifests are a ConfigMap, a PersistentVolumeClaim and an Indexed Job', () => {
  assert.deepEqual(
    docs.map((d: Manifest) => d.kind),
    ['ConfigMap', 'PersistentVolumeClaim', 'Job'],
  )
  for (const doc of docs) assert.equal(doc.metadata.namespace, 'load')
})

test('the Job runs N shards at once, shard index from JOB_COMPLETION_INDEX, from one start time', () => {
  const job = byKind('Job')
  assert.equal(job.apiVersion, 'batch/v1')
  assert.equal(job.spec.completionMode, 'Indexed')
  assert.equal(job.spec.completions, 4)
  assert.equal(job.spec.parallelism, 4)
  assert.equal(job.spec.backoffLimit, 0)
  const pod = job.spec.template
  assert.equal(pod.spec.restartPolicy, 'Never')
  const container = pod.spec.containers[0]
  assert.equal(container.image, 'registry.example.com/checkin-load:1')
  const args: string[] = container.args
  const arg = (flag: string) => args[args.indexOf(flag) + 1]
  assert.equal(args[0], 'run')
  assert.equal(arg('--shard'), '$(JOB_COMPLETION_INDEX)/4')
  assert.equal(arg('--start-at'), '2030-01-01T00:00:00.000Z')
  assert.equal(arg('--out'), '/results/shard-$(JOB_COMPLETION_INDEX)')
  assert.equal(arg('--run-id'), 'stress-1')
  assert.equal(arg('--config'), '/etc/checkin-load/run.json')
  const env = Object.fromEntries(
    container.env.map((e: { name: string; valueFrom: unknown }) => [e.name, e.valueFrom]),
  )
  assert.ok(env.JOB_COMPLETION_INDEX, 'the index is declared so that $(JOB_COMPLETION_INDEX) expands')
  assert.deepEqual(env.CHECKIN_LOAD_TEST_TOKEN, {
    secretKeyRef: { name: 'checkin-load-secrets', key: 'CHECKIN_LOAD_TEST_TOKEN' },
  })
  assert.doesNotMatch(JSON.stringify(docs), /not-a-secret/, 'secrets stay in the Secret')
})

test('pods are labelled for Prometheus scraping and write results to the claim', () => {
  const pod = byKind('Job').spec.template
  assert.equal(pod.metadata.annotations['prometheus.io/scrape'], 'true')
  assert.equal(pod.metadata.annotations['prometheus.io/port'], '9464')
  assert.equal(pod.metadata.labels['checkin-load/run-id'], 'stress-1')
  const volumes = Object.fromEntries(pod.spec.volumes.map((v: { name: string }) => [v.name, v]))
  assert.equal(volumes.results.persistentVolumeClaim.claimName, 'checkin-load-results')
  assert.equal(volumes.config.configMap.name, byKind('ConfigMap').metadata.name)
  assert.equal(byKind('PersistentVolumeClaim').spec.resources.requests.storage, '2Gi')
})

test("the ConfigMap's run.json is a config file that gives back the run's config", () => {
  const dir = mkdtempSync(join(tmpdir(), 'checkin-load-k8s-'))
  const file = join(dir, 'run.json')
  writeFileSync(file, byKind('ConfigMap').data['run.json'])
  const back = resolveRunConfig({ configFile: file })
  assert.equal(back.target, 'https://staging-api.va.gov')
  assert.equal(back.scale, 2)
  assert.deepEqual(back.stages, config.stages)
  assert.deepEqual(back.thresholds, config.thresholds)
  assert.deepEqual(back.headersFromEnv, { authorization: 'CHECKIN_LOAD_TEST_TOKEN' })
})

test('an existing claim is not created again', () => {
  const kinds = k8sManifests(config, { ...options, createClaim: false }).map((m) => m.kind)
  assert.deepEqual(kinds, ['ConfigMap', 'Job'])
})
