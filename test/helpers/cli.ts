import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** Path of the checkin-load executable (bin/checkin-load.js, which loads dist/src/cli/main.js). */
export const BIN = fileURLToPath(new URL('../../../bin/checkin-load.js', import.meta.url))

/** Runs the CLI to completion (30 s at most) and returns its exit code and output. */
export function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env, NO_COLOR: '1' },
    timeout: timeoutMs,
  })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}
