import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { type Command, Option } from 'commander'
import { k8sManifests, k8sYaml } from '../cluster/k8s.js'
import { ConfigError } from '../errors.js'
import { durationOption, numberOption } from './options.js'
import { addRunFlags, runConfigFromCommand } from './run-flags.js'

interface K8sFlags {
  shards: number
  image: string
  namespace: string
  startIn: number
  secretName: string
  resultsClaim: string
  existingClaim?: boolean
  storage: string
  metricsPort: number
}

/** `checkin-load k8s --shards N [run flags]`: prints an Indexed Job (and its ConfigMap, PVC) on stdout. */
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
      new Option('--image <image>', 'container image built from the Dockerfile').default(
        'checkin-load:latest',
      ),
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
      new Option('--results-claim <name>', "PersistentVolumeClaim for the shards' run folders").default(
        'checkin-load-results',
      ),
    )
    .option('--existing-claim', 'use an existing claim instead of creating one')
    .addOption(new Option('--storage <size>', 'size of the results claim').default('1Gi'))
    .addOption(
      numberOption('--metrics-port <n>', 'Prometheus port in each pod', {
        min: 1,
        max: 65535,
        integer: true,
      }).default(9464),
    )
  addRunFlags(command)
    .addHelpText(
      'after',
      `
Example:
  checkin-load k8s --shards 4 --target https://staging-api.va.gov --duration 30m > job.yaml
  kubectl apply -f job.yaml     # then watch in Grafana; afterwards copy /results/shard-* and
  checkin-load merge shard-0/<run-id> shard-1/<run-id> ... --out merged`,
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
      if (config.target === undefined) {
        throw new ConfigError(
          'k8s needs --target: the pods load a real deployment (staging), not the embedded stand-in',
        )
      }
      const runId = config.runId ?? `k8s-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}Z`
      const profileFile = /\.(ya?ml|json)$/.test(config.profile)
        ? { name: basename(config.profile), text: readFileSync(config.profile, 'utf8') }
        : undefined
      const manifests = k8sManifests(config, {
        shards: flags.shards,
        runId,
        startAtMs: Date.now() + flags.startIn,
        image: flags.image,
        namespace: flags.namespace,
        secretName: flags.secretName,
        resultsClaim: flags.resultsClaim,
        createClaim: flags.existingClaim !== true,
        storage: flags.storage,
        prometheusPort: flags.metricsPort,
        ...(profileFile && { profileFile }),
      })
      process.stdout.write(k8sYaml(manifests))
    })
}
