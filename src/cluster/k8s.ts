import { stringify } from 'yaml'
import { formatStages } from '../config/parse.js'
import type { RunConfig } from '../config/schema.js'

/**
 * Kubernetes manifests for a multi-machine run: an Indexed Job whose pod i runs shard i of N
 * (completions = parallelism = N, index from JOB_COMPLETION_INDEX), all from one wall-clock
 * start time; a ConfigMap with the run's config; a PersistentVolumeClaim for the shards' run
 * folders. After the Job, `checkin-load merge` merges the folders exactly.
 */
export interface K8sOptions {
  readonly shards: number
  readonly runId: string
  /** epoch ms at which every shard starts sending */
  readonly startAtMs: number
  readonly image: string
  readonly namespace: string
  /** name of the Secret holding the variables of --header-from-env */
  readonly secretName: string
  /** PersistentVolumeClaim for the results; created unless it is an existing claim */
  readonly resultsClaim: string
  readonly createClaim: boolean
  readonly storage: string
  readonly prometheusPort: number
  /** profile file to ship in the ConfigMap (when --profile names a file) */
  readonly profileFile?: { readonly name: string; readonly text: string }
}

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

/** The RunConfig as a config file for the pods (see shardConfigFile). */
export function podConfig(config: RunConfig, options: K8sOptions): Record<string, unknown> {
  return shardConfigFile(
    config,
    options.profileFile ? `${CONFIG_DIR}/${options.profileFile.name}` : undefined,
  )
}

export function k8sManifests(config: RunConfig, options: K8sOptions): Record<string, unknown>[] {
  const name = `checkin-load-${options.runId}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 52)
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
  const claim = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: options.resultsClaim, namespace: options.namespace, labels },
    spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: options.storage } } },
  }
  const secretEnv = Object.values(config.headersFromEnv).map((variable) => ({
    name: variable,
    valueFrom: { secretKeyRef: { name: options.secretName, key: variable } },
  }))
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: options.namespace, labels },
    spec: {
      completionMode: 'Indexed',
      completions: options.shards,
      parallelism: options.shards,
      backoffLimit: 0,
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
          containers: [
            {
              name: 'checkin-load',
              image: options.image,
              args: [
                'run',
                '--config',
                `${CONFIG_DIR}/run.json`,
                '--shard',
                `$(JOB_COMPLETION_INDEX)/${options.shards}`,
                '--start-at',
                new Date(options.startAtMs).toISOString(),
                '--run-id',
                options.runId,
                '--out',
                `${RESULTS_DIR}/shard-$(JOB_COMPLETION_INDEX)`,
                '--prometheus-port',
                String(options.prometheusPort),
                '--prometheus-host',
                '0.0.0.0',
                '--quiet',
              ],
              env: [
                // Kubernetes sets JOB_COMPLETION_INDEX itself in Indexed Jobs; declared here so
                // that $(JOB_COMPLETION_INDEX) in args is expanded.
                {
                  name: 'JOB_COMPLETION_INDEX',
                  valueFrom: {
                    fieldRef: {
                      fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']",
                    },
                  },
                },
                ...secretEnv,
              ],
              ports: [{ name: 'metrics', containerPort: options.prometheusPort }],
              resources: { requests: { cpu: '1', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } },
              volumeMounts: [
                { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
                { name: 'results', mountPath: RESULTS_DIR },
              ],
            },
          ],
          volumes: [
            { name: 'config', configMap: { name } },
            { name: 'results', persistentVolumeClaim: { claimName: options.resultsClaim } },
          ],
        },
      },
    },
  }
  return [configMap, ...(options.createClaim ? [claim] : []), job]
}

export function k8sYaml(manifests: readonly Record<string, unknown>[]): string {
  return manifests.map((manifest) => stringify(manifest, { lineWidth: 0 })).join('---\n')
}
