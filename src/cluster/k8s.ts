import { stringify } from 'yaml'
import { formatStages } from '../config/parse.js'
import type { RunConfig } from '../config/schema.js'
import { stagesDurationMs } from '../profile/stages.js'
import { type CollectionPlan, collectionCommands, SHARD_ENV, shardScript } from './k8s-shard.js'

/**
 * Kubernetes manifests for a multi-machine run: an Indexed Job whose pod i runs shard i of N
 * (completions = parallelism = N, index from JOB_COMPLETION_INDEX), all from one wall-clock
 * start time, and a ConfigMap with the run's config. Each pod writes its run folder in its own
 * emptyDir and waits, after its run, until the collection step has copied it out; then
 * `checkin-load merge` merges the folders exactly. Checked against Kubernetes' OpenAPI schema in
 * test/cluster/k8s-schema.test.ts.
 *
 * Why an emptyDir and not a shared claim: a ReadWriteMany claim needs a storage class that many
 * clusters lack (the pods stay Pending), a ReadWriteOnce claim cannot be mounted by pods on
 * several nodes, and an Indexed Job cannot give each pod its own claim. An emptyDir works on
 * every cluster; the cost is that a pod holds its CPU while it waits to be collected (bounded by
 * --collect-within).
 */
export interface K8sOptions {
  readonly shards: number
  readonly runId: string
  /** epoch ms at which every shard starts sending */
  readonly startAtMs: number
  readonly image: string
  readonly imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never'
  readonly namespace: string
  /** name of the Secret holding the variables of --header-from-env */
  readonly secretName: string
  /** size limit of each pod's results volume (an emptyDir), e.g. 1Gi */
  readonly storage: string
  readonly prometheusPort: number
  /** how long a pod waits after its run for the collection step, s */
  readonly collectWithinS: number
  /** profile file to ship in the ConfigMap (when --profile names a file) */
  readonly profileFile?: { readonly name: string; readonly text: string }
}

/** The image's user and group (the Dockerfile's `USER 1000:1000`, the node image's `node`). */
export const IMAGE_UID = 1000
/** Where the image keeps checkin-load (the Dockerfile's WORKDIR /app). */
export const IMAGE_BIN = '/app/bin/checkin-load.js'

const CONFIG_DIR = '/etc/checkin-load'
const RESULTS_DIR = '/results'

/**
 * A RunConfig as a config file (`--config`) for the processes that run its shards, pods or local
 * workers: everything but what each shard sets itself on its command line (shard, start time, run
 * id, output folder, workers, Prometheus port) and the outputs only the whole run writes (baseline,
 * JUnit, Markdown). `profilePath` replaces a profile file's path (a pod reads it from its ConfigMap).
 */
export function shardConfigFile(config: RunConfig, profilePath?: string): Record<string, unknown> {
  const {
    stages,
    shard: _shard,
    startAtMs: _startAtMs,
    workers: _workers,
    out: _out,
    runId: _runId,
    prometheusPort: _prometheusPort,
    prometheusHost: _prometheusHost,
    // the parent (or nobody, in a pod) serves the live page
    web: _web,
    webPort: _webPort,
    webHost: _webHost,
    webLingerMs: _webLingerMs,
    baseline: _baseline,
    junit: _junit,
    markdown: _markdown,
    thresholds,
    ...rest
  } = config
  return {
    ...rest,
    stages: formatStages(stages),
    thresholds: k6Thresholds(thresholds),
    ...(profilePath !== undefined && { profile: profilePath }),
  }
}

/**
 * Thresholds in the config file's (k6's) form: conditions grouped by metric, so that two entries
 * on one metric both survive (a JSON object holds each metric once).
 */
function k6Thresholds(thresholds: RunConfig['thresholds']): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {}
  for (const t of thresholds) {
    const conditions = t.conditions.map((threshold) => ({
      threshold,
      abortOnFail: t.abortOnFail,
      delayAbortEval: `${t.delayAbortEvalMs}ms`,
    }))
    out[t.metric] = [...(out[t.metric] ?? []), ...conditions]
  }
  return out
}

/**
 * The RunConfig as a config file for the pods (see shardConfigFile), with the run's caps shared
 * out as `run --workers` shares them: N pods together hold as many flows and connections as one.
 */
export function podConfig(config: RunConfig, options: K8sOptions): Record<string, unknown> {
  return shardConfigFile(
    {
      ...config,
      maxInFlight: Math.ceil(config.maxInFlight / options.shards),
      ...(config.connections !== undefined && {
        connections: Math.ceil(config.connections / options.shards),
      }),
    },
    options.profileFile ? `${CONFIG_DIR}/${options.profileFile.name}` : undefined,
  )
}

/** The Job's name (also the ConfigMap's): a DNS label made from the run id. */
export function jobName(runId: string): string {
  return `checkin-load-${runId}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 52)
    .replace(/-+$/, '')
}

export function k8sManifests(config: RunConfig, options: K8sOptions): Record<string, unknown>[] {
  const name = jobName(options.runId)
  const labels = { 'app.kubernetes.io/name': 'checkin-load', 'checkin-load/run-id': options.runId }
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: options.namespace, labels },
    data: {
      'run.json': `${JSON.stringify(podConfig(config, options), null, 2)}\n`,
      ...(options.profileFile && { [options.profileFile.name]: options.profileFile.text }),
    },
  }
  const secretEnv = Object.values(config.headersFromEnv).map((variable) => ({
    name: variable,
    valueFrom: { secretKeyRef: { name: options.secretName, key: variable } },
  }))
  const shardEnv = (key: keyof typeof SHARD_ENV, value: string | number) => ({
    name: SHARD_ENV[key],
    value: String(value),
  })
  const startInS = Math.max(0, Math.ceil((options.startAtMs - Date.now()) / 1000))
  const runS = Math.ceil((stagesDurationMs(config.stages) + config.timeoutMs) / 1000)
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: options.namespace, labels },
    spec: {
      completionMode: 'Indexed',
      completions: options.shards,
      parallelism: options.shards,
      // a failed shard fails its index only, never retried (a retry would start after the shared
      // start time and refuse); the other shards run on. The script maps a threshold verdict to 0.
      backoffLimitPerIndex: 0,
      // a bound on the whole Job: the wait for the start, the run, its drain, the collection
      activeDeadlineSeconds: startInS + runS + options.collectWithinS + 600,
      ttlSecondsAfterFinished: 86_400,
      template: {
        metadata: {
          labels,
          annotations: {
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': String(options.prometheusPort),
            'prometheus.io/path': '/metrics',
          },
        },
        spec: {
          restartPolicy: 'Never',
          // the image runs as node (1000:1000); fsGroup makes the volumes writable by it
          securityContext: {
            runAsNonRoot: true,
            runAsUser: IMAGE_UID,
            runAsGroup: IMAGE_UID,
            fsGroup: IMAGE_UID,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          terminationGracePeriodSeconds: Math.ceil(config.timeoutMs / 1000) + 10,
          containers: [
            {
              name: 'checkin-load',
              image: options.image,
              imagePullPolicy: options.imagePullPolicy,
              command: ['/bin/sh', '-c', shardScript()],
              env: [
                // Kubernetes sets JOB_COMPLETION_INDEX in an Indexed Job's pods; declared for clarity
                {
                  name: SHARD_ENV.index,
                  valueFrom: {
                    fieldRef: {
                      fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']",
                    },
                  },
                },
                shardEnv('shards', options.shards),
                shardEnv('startAt', new Date(options.startAtMs).toISOString()),
                shardEnv('runId', options.runId),
                shardEnv('bin', IMAGE_BIN),
                shardEnv('configDir', CONFIG_DIR),
                shardEnv('resultsDir', RESULTS_DIR),
                shardEnv('metricsPort', options.prometheusPort),
                shardEnv('metricsHost', '0.0.0.0'),
                shardEnv('collectWithinS', options.collectWithinS),
                ...secretEnv,
              ],
              ports: [{ name: 'metrics', containerPort: options.prometheusPort }],
              resources: { requests: { cpu: '1', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [
                { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
                { name: 'results', mountPath: RESULTS_DIR },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'config', configMap: { name } },
            { name: 'results', emptyDir: { sizeLimit: options.storage } },
            { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
          ],
        },
      },
    },
  }
  return [configMap, job]
}

/** How the results come back after the Job: see collectionCommands. */
export function k8sCollectionPlan(options: K8sOptions): CollectionPlan {
  return {
    namespace: options.namespace,
    jobName: jobName(options.runId),
    shards: options.shards,
    runId: options.runId,
    resultsDir: RESULTS_DIR,
  }
}

/**
 * The manifests as YAML, preceded by comments that say what to do with them: apply, collect,
 * merge. Strings that a YAML 1.1 reader would take for something else (the start time as a
 * timestamp, "yes" as a boolean, "010" as octal) are quoted: Kubernetes reads them as strings
 * either way, but PyYAML and many linters read YAML 1.1.
 */
export function k8sYaml(
  manifests: readonly Record<string, unknown>[],
  header: readonly string[] = [],
): string {
  const comments = header.map((line) => (line === '' ? '#\n' : `# ${line}\n`)).join('')
  const docs = manifests.map((manifest) =>
    stringify(manifest, { lineWidth: 0, version: '1.1', aliasDuplicateObjects: false }),
  )
  return comments + docs.join('---\n')
}

/** The comment block printed above the manifests: the steps after `kubectl apply`. */
export function k8sInstructions(options: K8sOptions, version: string): string[] {
  const plan = k8sCollectionPlan(options)
  return [
    `checkin-load ${version}: run ${options.runId}, ${options.shards} shards from ${new Date(options.startAtMs).toISOString()}`,
    '',
    `1. kubectl apply -f job.yaml   (before the start time: a shard that starts more than 5 s late refuses)`,
    `2. after the run, collect each shard's folder (each pod waits ${options.collectWithinS} s for this) and merge:`,
    '',
    ...collectionCommands(plan).map((line) => `   ${line}`),
    '',
    `   exit 0: thresholds met; 99: one failed (the verdict of the merged run, not of any pod)`,
  ]
}
