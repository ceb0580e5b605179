import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { type Command, Option } from 'commander'
import { k8sInstructions, k8sManifests, k8sYaml } from '../cluster/k8s.js'
import { ConfigError } from '../errors.js'
import { notApplicable, redescribe } from './applicable.js'
import { durationOption, numberOption } from './options.js'
import { addRunFlags, runConfigFromCommand } from './run-flags.js'
import { packageVersion } from './version.js'

interface K8sFlags {
  shards: number
  image: string
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never'
  namespace: string
  startIn: number
  secretName: string
  storage: string
  metricsPort: number
  collectWithin: number
}

/** Run flags the manifests set per pod, or that only a run on this machine writes: hidden and refused. */
const NOT_FOR_K8S: Readonly<Record<string, string | { message: string }>> = {
  shard: { message: 'k8s sets --shard for each pod itself: leave it out' },
  workers: { message: 'k8s sets --workers for each pod itself: leave it out' },
  startAt: { message: 'k8s sets --start-at for each pod itself: leave it out (--start-in)' },
  prometheusPort: {
    message: 'k8s sets --prometheus-port for each pod itself: leave it out (--metrics-port)',
  },
  prometheusHost: 'k8s sets it for each pod itself',
  out: "the pods write to their own results volume (collected by the commands in the manifests' header)",
  baseline: 'the pods write shards; compare the merged run (`merge`, then `compare`)',
  junit: 'the pods write shards; `merge --junit` writes it for the whole run',
  markdown: 'the pods write shards; `merge --markdown` writes it for the whole run',
  mockPreset: 'the pods load --target, never the embedded stand-in',
  mockTimeScale: 'the pods load --target, never the embedded stand-in',
  mockWorkers: 'the pods load --target, never the embedded stand-in',
  web: 'a pod serves no live page: watch the shards in Grafana (--metrics-port), or run --workers on one machine with --web',
  webPort: 'a pod serves no live page',
  webHost: 'a pod serves no live page',
  webLinger: 'a pod serves no live page',
}

/** `checkin-load k8s --shards N --image IMAGE [run flags]`: prints an Indexed Job and its ConfigMap on stdout. */
export function registerK8sCommand(program: Command): void {
  const command = program
    .command('k8s')
    .description('print Kubernetes manifests: an Indexed Job running N shards of the run from one start time')
    .addOption(
      numberOption('--shards <n>', 'pods, each running one shard of the arrivals', {
        min: 1,
        max: 1000,
        integer: true,
      }).makeOptionMandatory(),
    )
    .addOption(
      new Option(
        '--image <image>',
        'the image built from the Dockerfile, in a registry the cluster pulls from (e.g. registry.example.com/checkin-load:0.1.0)',
      ).makeOptionMandatory(),
    )
    .addOption(
      new Option('--image-pull-policy <policy>', "the container's imagePullPolicy")
        .choices(['Always', 'IfNotPresent', 'Never'])
        .default('IfNotPresent'),
    )
    .addOption(new Option('--namespace <ns>', 'namespace of the manifests').default('default'))
    .addOption(
      durationOption(
        '--start-in <d>',
        'start this long after the manifests are printed (pods need time to pull and start)',
      ).default(120_000, '2m'),
    )
    .addOption(
      new Option('--secret-name <name>', 'Secret holding the variables of --header-from-env').default(
        'checkin-load-secrets',
      ),
    )
    .addOption(
      new Option('--storage <size>', "size limit of each pod's results volume (an emptyDir)").default('1Gi'),
    )
    .addOption(
      durationOption(
        '--collect-within <d>',
        'how long each pod waits after its run for its results to be collected',
      ).default(3_600_000, '1h'),
    )
    .addOption(
      numberOption('--metrics-port <n>', 'Prometheus port in each pod', {
        min: 1,
        max: 65535,
        integer: true,
      }).default(9464),
    )
  notApplicable(addRunFlags(command), NOT_FOR_K8S)
  redescribe(command, 'target', 'base URL of the target (required: the pods load a real deployment)')
    .addHelpText(
      'after',
      `
Example:
  checkin-load k8s --shards 4 --image registry.example.com/checkin-load:0.1.0 \\
    --target https://staging-api.va.gov --duration 30m > job.yaml
  kubectl apply -f job.yaml     # job.yaml starts with the commands that collect and merge the results`,
    )
    .action((flags: K8sFlags) => {
      for (const forbidden of ['shard', 'workers', 'startAt', 'prometheusPort'] as const) {
        if (command.getOptionValueSource(forbidden) === 'cli') {
          throw new ConfigError(
            `k8s sets --${forbidden.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} for each pod itself: leave it out`,
          )
        }
      }
      const config = runConfigFromCommand(command)
      if (Object.keys(config.headers).length > 0) {
        // the manifests are files people commit and share; a ConfigMap is no place for a key
        throw new ConfigError(
          `k8s would write the value of --header ${Object.keys(config.headers).join(', ')} into the manifests: give it with --header-from-env NAME=VAR, VAR in the Secret ${flags.secretName}`,
        )
      }
      if (config.target === undefined) {
        throw new ConfigError(
          'k8s needs --target: the pods load a real deployment (staging), not the embedded stand-in',
        )
      }
      if (!/^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/.test(flags.storage)) {
        throw new ConfigError(
          `invalid --storage "${flags.storage}": give a Kubernetes quantity, like 1Gi or 500Mi`,
        )
      }
      const runId = config.runId ?? `k8s-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}Z`
      const profileFile = /\.(ya?ml|json)$/.test(config.profile)
        ? { name: basename(config.profile), text: readFileSync(config.profile, 'utf8') }
        : undefined
      const options = {
        shards: flags.shards,
        runId,
        startAtMs: Date.now() + flags.startIn,
        image: flags.image,
        imagePullPolicy: flags.imagePullPolicy,
        namespace: flags.namespace,
        secretName: flags.secretName,
        storage: flags.storage,
        prometheusPort: flags.metricsPort,
        collectWithinS: Math.ceil(flags.collectWithin / 1000),
        ...(profileFile && { profileFile }),
      }
      const manifests = k8sManifests(config, options)
      process.stdout.write(k8sYaml(manifests, k8sInstructions(options, packageVersion())))
    })
}
