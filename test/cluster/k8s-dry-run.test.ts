import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { test } from 'node:test'
import { parseAllDocuments } from 'yaml'
import { EXIT_CODE_FILE, SHARD_ENV } from '../../src/cluster/k8s-shard.js'
import { startMockServer } from '../../src/mock/index.js'
import { BIN, readSummary } from './helpers.js'

/**
 * The Kubernetes path end to end, without a cluster: `checkin-load k8s` prints the manifests;
 * each "pod" is the container's own command (the shard script, /bin/sh) run as a local process
 * with the pod's environment from the manifest, its ConfigMap's files, and its own results folder
 * (its emptyDir); then the collection commands printed in the manifests' header run as written,
 * with a stand-in `kubectl` that maps exec/cp onto those folders, and end with the merge. A
 * threshold that every shard fails shows where the verdict lives: each pod ends with 0, the merge
 * with 99.
 */
const FAKE_KUBECTL = `import { cpSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
const args = process.argv.slice(4) // -n NAMESPACE
const pods = process.env.DRY_RUN_PODS
const root = (pod) => pods + '/' + pod.replace(/^pod-/, '')
const local = (pod, text) => text.replaceAll('/results', root(pod) + '/results')
if (args[0] === 'get') {
  const label = args.find((a) => a.includes('job-completion-index='))
  process.stdout.write('pod-' + label.split('job-completion-index=')[1])
} else if (args[0] === 'exec') {
  const pod = args[1]
  const command = args.slice(3).map((a) => local(pod, a))
  process.exit(spawnSync(command[0], command.slice(1), { stdio: 'inherit' }).status ?? 1)
} else if (args[0] === 'cp') {
  const [pod, path] = args[1].split(':')
  cpSync(local(pod, path), args[2], { recursive: true })
} else {
  process.exit(3)
}
`

function shim(binDir: string, name: string, script: string): void {
  const file = join(binDir, name)
  writeFileSync(file, script)
  chmodSync(file, 0o755)
}

test('dry run of the Kubernetes path: pods as processes, collection, merge, verdict', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'checkin-load-k8s-dry-'))
  const server = await startMockServer({ port: 0, quiet: true })
  try {
    const printed = spawnSync(
      process.execPath,
      [
        BIN,
        'k8s',
        '--shards',
        '2',
        '--image',
        'registry.example.com/checkin-load:0.1.0',
        '--namespace',
        'load',
        '--target',
        server.url,
        '--duration',
        '3s',
        '--arrival',
        'constant',
        '--start-in',
        '7s',
        '--collect-within',
        '60s',
        '--threshold',
        'http_req_duration: p(50)<0.001',
      ],
      { encoding: 'utf8' },
    )
    assert.equal(printed.status, 0, printed.stderr)
    const [configMap, job] = parseAllDocuments(printed.stdout).map((d) => d.toJS())
    const container = job.spec.template.spec.containers[0]
    assert.deepEqual(container.command.slice(0, 2), ['/bin/sh', '-c'])

    // the pods: the ConfigMap mounted, the manifest's environment, one emptyDir each
    const configDir = join(dir, 'config')
    mkdirSync(configDir)
    for (const [name, text] of Object.entries(configMap.data as Record<string, string>)) {
      writeFileSync(join(configDir, name), text)
    }
    const podEnv: Record<string, string> = {}
    for (const e of container.env as { name: string; value?: string }[])
      if (e.value !== undefined) podEnv[e.name] = e.value
    const pods = join(dir, 'pods')
    const runs = [0, 1].map((i) => {
      const results = join(pods, String(i), 'results')
      mkdirSync(results, { recursive: true })
      const child = spawn('/bin/sh', ['-c', container.command[2]], {
        env: {
          PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
          NO_COLOR: '1',
          ...podEnv,
          [SHARD_ENV.index]: String(i),
          [SHARD_ENV.bin]: BIN,
          [SHARD_ENV.configDir]: configDir,
          [SHARD_ENV.resultsDir]: results,
          // on this machine: loopback, any free port (a pod listens on every interface, 9464)
          [SHARD_ENV.metricsHost]: '127.0.0.1',
          [SHARD_ENV.metricsPort]: '0',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let log = ''
      child.stdout!.on('data', (chunk) => (log += chunk))
      child.stderr!.on('data', (chunk) => (log += chunk))
      const guard = setTimeout(() => child.kill('SIGKILL'), 90_000)
      const exit = new Promise<{ code: number | null; log: string }>((resolve) =>
        child.on('close', (code) => {
          clearTimeout(guard)
          resolve({ code, log })
        }),
      )
      return { results, exit }
    })

    // the collection and the merge, as printed above the manifests
    const header = printed.stdout.split('\n').filter((line) => line.startsWith('#    '))
    const collection = header.map((line) => line.slice(5)).filter((line) => !line.startsWith('exit 0'))
    assert.match(collection.at(-1)!, /^checkin-load merge collected\/shard-\* --out results\//)
    const bin = join(dir, 'bin')
    mkdirSync(bin)
    shim(bin, 'checkin-load', `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`)
    writeFileSync(join(bin, 'fake-kubectl.mjs'), FAKE_KUBECTL)
    shim(bin, 'kubectl', `#!/bin/sh\nexec "${process.execPath}" "${join(bin, 'fake-kubectl.mjs')}" "$@"\n`)
    const work = join(dir, 'work')
    mkdirSync(work)
    const collect = spawn('bash', ['-c', collection.join('\n')], {
      cwd: work,
      env: {
        ...process.env,
        NO_COLOR: '1',
        DRY_RUN_PODS: pods,
        PATH: `${bin}:${dirname(process.execPath)}:${process.env.PATH}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let collectLog = ''
    collect.stdout!.on('data', (chunk) => (collectLog += chunk))
    collect.stderr!.on('data', (chunk) => (collectLog += chunk))
    const collectGuard = setTimeout(() => collect.kill('SIGKILL'), 120_000)
    const verdict = await new Promise<number | null>((resolve) =>
      collect.on('close', (code) => {
        clearTimeout(collectGuard)
        resolve(code)
      }),
    )
    const ended = await Promise.all(runs.map((r) => r.exit))

    // every shard failed its own threshold (99), and its pod still succeeded
    for (const [i, { code, log }] of ended.entries()) {
      assert.equal(code, 0, `pod ${i}: ${log}`)
      assert.equal(readFileSync(join(runs[i]!.results, EXIT_CODE_FILE), 'utf8').trim(), '99', log)
      assert.match(log, /the verdict is the merged run's/)
    }
    // the verdict is the merge's: 99, over all the requests; the counts are the shards' sums
    assert.equal(verdict, 99, collectLog)
    const runId = podEnv[SHARD_ENV.runId]!
    const merged = readSummary(join(work, 'results', runId))
    const shards = [0, 1].map((i) => readSummary(join(work, 'collected', `shard-${i}`, runId)))
    assert.ok(merged.total.requests > 0)
    assert.equal(merged.total.requests, shards[0]!.total.requests + shards[1]!.total.requests)
    assert.equal(merged.passed, false)
  } finally {
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  }
})
