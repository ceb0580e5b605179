/**
 * Memory over a long run: the engine at 5000 req/s (check-in flows, constant arrivals, full
 * measurement as bench/engine-rate.ts) against nginx for 10 minutes, generator on CPU 0 and nginx
 * on CPU 1; prints the generator's RSS at the end of each minute and the change from minute 1 to
 * the last (the target: within ±15%).
 *
 *   npx tsc -p . && node dist/bench/engine-soak.js [--minutes 10] [--rate 5000]
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { freePort, type Nginx, startNginx } from './nginx.js'

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '5000' },
  },
})
const MINUTES = Number(values.minutes)
const RATE = Number(values.rate)
if (!(MINUTES >= 2 && MINUTES <= 60)) throw new Error('--minutes must be from 2 to 60')
const DRIVER = fileURLToPath(new URL('./engine-rate.js', import.meta.url))

const dir = mkdtempSync(join(tmpdir(), 'checkin-load-soak-'))
let nginx: Nginx | undefined
try {
  const port = await freePort()
  nginx = await startNginx({ dir, port, statusPort: await freePort(), workerProcesses: 1, cpu: 1 })
  const args = ['-c', '0', process.execPath, DRIVER, '--rps', String(RATE), '--seconds', String(MINUTES * 60)]
  const child = spawn('taskset', [...args, '--target', `http://127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let stdout = ''
  child.stdout.on('data', (chunk) => {
    stdout += chunk
  })
  // bounded: the run's length and a minute to spare
  const guard = setTimeout(() => child.kill('SIGKILL'), (MINUTES + 1) * 60_000)
  const code = await new Promise((resolve) => child.on('close', resolve))
  clearTimeout(guard)
  if (code !== 0) throw new Error(`engine-rate exited ${code}`)
  const result = JSON.parse(stdout)
  const rss: number[] = result.rssMbPerMinute
  const first = rss[0]!
  const last = rss.at(-1)!
  console.log(
    `Engine at ${RATE} req/s asked for ${MINUTES} min: ${result.requests} requests, ${result.achievedRps} req/s, ${result.dropped} dropped`,
  )
  console.log(`RSS per minute (MB): ${rss.join(' ')}`)
  console.log(
    `RSS minute 1 -> minute ${rss.length}: ${first} -> ${last} MB (${(((last - first) / first) * 100).toFixed(1)}%; target within ±15%)`,
  )
  console.log(`send lag p99 ${result.sendLagMs.p99} ms, CPU ${result.cpuPct}%`)
} finally {
  await nginx?.stop()
  rmSync(dir, { recursive: true, force: true })
}
