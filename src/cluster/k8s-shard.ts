/**
 * What a pod of the Indexed Job runs, and how its results come back: one POSIX shell script, the
 * same for every pod (its values come from the environment the manifest sets), and the commands
 * that collect the shards' folders afterwards. Kept here, apart from the manifests, because the
 * dry run (test/cluster/k8s-dry-run.test.ts) runs exactly these, with shards as local processes.
 */

/** Environment variables the shard script reads (the manifest sets them; a dry run sets its own). */
export const SHARD_ENV = {
  /** set by Kubernetes in an Indexed Job's pods; declared in the manifest too */
  index: 'JOB_COMPLETION_INDEX',
  shards: 'CHECKIN_LOAD_SHARDS',
  startAt: 'CHECKIN_LOAD_START_AT',
  runId: 'CHECKIN_LOAD_RUN_ID',
  /** the checkin-load entry point (bin/checkin-load.js) */
  bin: 'CHECKIN_LOAD_BIN',
  configDir: 'CHECKIN_LOAD_CONFIG_DIR',
  resultsDir: 'CHECKIN_LOAD_RESULTS_DIR',
  metricsPort: 'CHECKIN_LOAD_METRICS_PORT',
  /** where /metrics listens: every interface in a pod (Prometheus scrapes the pod's IP) */
  metricsHost: 'CHECKIN_LOAD_METRICS_HOST',
  /** seconds a pod waits after its run for its results to be collected */
  collectWithinS: 'CHECKIN_LOAD_COLLECT_WITHIN_S',
} as const

/** Written in the results folder when the shard's run has ended: it holds the run's exit code. */
export const EXIT_CODE_FILE = 'exit-code'
/** Touched by the collection step: the pod may end. */
export const COLLECTED_FILE = 'collected'

/**
 * The pod's script. The run's exit code 99 (this shard's own thresholds failed) ends the pod with
 * 0: the verdict belongs to the merged run (`checkin-load merge` judges all the requests
 * together), and a failed pod would mark the shard failed although it measured everything.
 * Kubernetes has no rule that turns an exit code into a success (podFailurePolicy can only ignore
 * a failure, which retries the pod, count it, or fail the index or the Job), hence the script. Any
 * other failure (2: started too late or bad config, 1: results not written) fails the pod, and
 * with backoffLimitPerIndex 0 only its index, without a retry: a retried shard would start after
 * the shared start time and refuse. After its run the pod waits (up to the collection window)
 * until its folder has been copied out: the results live in the pod's emptyDir.
 */
export function shardScript(): string {
  const e = SHARD_ENV
  return `set -u
index="$${e.index}"
results="$${e.resultsDir}"
node "$${e.bin}" run --config "$${e.configDir}/run.json" --shard "$index/$${e.shards}" \\
  --start-at "$${e.startAt}" --run-id "$${e.runId}" --out "$results/shard-$index" \\
  --prometheus-port "$${e.metricsPort}" --prometheus-host "$${e.metricsHost}" --quiet &
run=$!
stop=0
trap 'stop=1; kill -TERM "$run" 2>/dev/null' TERM INT
wait "$run"
code=$?
while kill -0 "$run" 2>/dev/null; do wait "$run"; code=$?; done
echo "$code" > "$results/${EXIT_CODE_FILE}"
echo "checkin-load shard $index/$${e.shards}: run ended with exit code $code; waiting up to $${e.collectWithinS} s for its results to be collected"
waited=0
while [ "$stop" = 0 ] && [ ! -e "$results/${COLLECTED_FILE}" ] && [ "$waited" -lt "$${e.collectWithinS}" ]; do
  sleep 1
  waited=$((waited + 1))
done
if [ "$code" = 99 ]; then
  echo "checkin-load shard $index: this shard's thresholds failed; the verdict is the merged run's"
  exit 0
fi
exit "$code"
`
}

export interface CollectionPlan {
  readonly namespace: string
  readonly jobName: string
  readonly shards: number
  readonly runId: string
  /** where the pods mount their results volume */
  readonly resultsDir: string
}

/**
 * The commands that bring the shards' folders back and merge them, as printed with the manifests:
 * for each index, wait until its pod's run has ended, copy its folder (`kubectl cp` uses the
 * image's tar), let the pod end; then merge. Lines of POSIX shell.
 */
export function collectionCommands(plan: CollectionPlan): string[] {
  const ns = `-n ${plan.namespace}`
  const r = plan.resultsDir
  return [
    `mkdir -p collected`,
    `for i in $(seq 0 ${plan.shards - 1}); do`,
    `  pod=$(kubectl ${ns} get pods -l job-name=${plan.jobName},batch.kubernetes.io/job-completion-index=$i -o jsonpath='{.items[0].metadata.name}')`,
    `  kubectl ${ns} exec "$pod" -- sh -c 'until [ -e ${r}/${EXIT_CODE_FILE} ]; do sleep 5; done; cat ${r}/${EXIT_CODE_FILE}'`,
    `  kubectl ${ns} cp "$pod:${r}/shard-$i" "collected/shard-$i"`,
    `  kubectl ${ns} exec "$pod" -- touch ${r}/${COLLECTED_FILE}`,
    `done`,
    `checkin-load merge collected/shard-* --out results/${plan.runId}`,
  ]
}
