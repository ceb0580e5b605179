import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * nginx as a benchmark target, as bench-peers.md sets it up (keep-alive, no access log,
 * `return 200 '{"ok":true}'` for every method and path, stub_status on a second port), with a
 * choice of worker processes, an optional CPU pin, and an optional server that logs each
 * request's time (for smoothness per 10 ms). Its CPU time is read from /proc, so a
 * benchmark can say how much of the machine the target itself took.
 */
export interface NginxOptions {
  /** folder for its config, pid and temp files */
  readonly dir: string
  readonly port: number
  readonly statusPort: number
  readonly workerProcesses: number
  /** pin nginx to this CPU (taskset) */
  readonly cpu?: number
  /** run it at this niceness (`nice -n`; below 0 needs root) */
  readonly nice?: number
  /** one more server, on this port, that logs the time of each request ($msec) to `accessLog` */
  readonly logged?: { readonly port: number; readonly accessLog: string }
}

export interface Nginx {
  /** CPU-seconds used so far by the master and its workers */
  cpuSeconds(): number
  stop(): Promise<void>
}

export function nginxConfig(options: NginxOptions): string {
  const { dir } = options
  return `worker_processes ${options.workerProcesses};
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${options.port} backlog=4096;
    location / { default_type application/json; return 200 '{"ok":true}'; }
  }
${
  options.logged === undefined
    ? ''
    : `  log_format msec '$msec';
  server {
    listen 127.0.0.1:${options.logged.port} backlog=4096;
    access_log ${options.logged.accessLog} msec;
    location / { default_type application/json; return 200 '{"ok":true}'; }
  }
`
}  server {
    listen 127.0.0.1:${options.statusPort};
    location / { stub_status; }
  }
}
`
}

/** A loopback port free right now (other benchmarks share the machine: no fixed ports). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** Requests nginx has served so far (stub_status). */
export async function nginxRequests(statusPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${statusPort}/`)).text()
  const numbers = /\n\s*(\d+)\s+(\d+)\s+(\d+)/.exec(text)
  if (!numbers) throw new Error(`unexpected stub_status: ${text}`)
  return Number(numbers[3])
}

const TICKS_PER_S = 100

/** CPU-seconds (user + system, all threads) a process has used so far; 0 once it is gone. */
export function cpuOf(pid: number): number {
  try {
    // fields after the command's closing parenthesis: utime and stime are the 12th and 13th
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S
  } catch {
    return 0
  }
}

/** The pids of a process's children. */
export function childrenOf(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim()
    return text === '' ? [] : text.split(/\s+/).map(Number)
  } catch {
    return []
  }
}

export async function startNginx(options: NginxOptions): Promise<Nginx> {
  for (const sub of ['body', 'proxy', 'fcgi', 'uwsgi', 'scgi'])
    mkdirSync(join(options.dir, sub), { recursive: true })
  const conf = join(options.dir, 'nginx.conf')
  writeFileSync(conf, nginxConfig(options))
  const [command, ...args] = [
    ...(options.nice !== undefined ? ['nice', '-n', String(options.nice)] : []),
    ...(options.cpu !== undefined ? ['taskset', '-c', String(options.cpu)] : []),
    'nginx',
    '-c',
    conf,
    '-p',
    options.dir,
  ]
  const child: ChildProcess = spawn(command!, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (chunk) => {
    stderr += chunk
  })
  // bounded: up to 5 s for nginx to answer
  for (let i = 0; ; i++) {
    try {
      await nginxRequests(options.statusPort)
      break
    } catch (error) {
      if (i >= 50 || child.exitCode !== null)
        throw new Error(`nginx did not start: ${stderr || (error as Error).message}`)
      await sleep(100)
    }
  }
  const pid = child.pid!
  return {
    cpuSeconds: () => cpuOf(pid) + childrenOf(pid).reduce((sum, c) => sum + cpuOf(c), 0),
    stop: async () => {
      if (child.exitCode !== null) return
      const exited = new Promise((resolve) => child.once('close', resolve))
      child.kill('SIGQUIT')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    },
  }
}
