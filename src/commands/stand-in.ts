import type { RunConfig } from '../config/schema.js'
import { readCaFile } from '../config/target-access.js'
// process.js, not the index: the index loads fastify, which the generator never needs
import { type MockProcess, startMockProcess } from '../mock/process.js'

/** The embedded stand-in, when the run has no target (HTTPS with --mock-tls). */
export function startStandIn(config: RunConfig, seed: number): Promise<MockProcess | undefined> {
  if (config.target !== undefined) return Promise.resolve(undefined)
  return startMockProcess({
    preset: config.mockPreset,
    timeScale: config.mockTimeScale,
    seed,
    ...(config.mockWorkers !== undefined && { workers: config.mockWorkers }),
    ...(config.mockTls && { tls: true }),
  })
}

/**
 * With the HTTPS stand-in (--mock-tls): its CA, made at its start, trusted as --ca would be;
 * worker processes (--workers) read it as the config's CA file.
 */
export function trustingStandIn<P extends { readonly config: RunConfig; readonly ca: Buffer | undefined }>(
  plan: P,
  mock: MockProcess | undefined,
): P {
  if (mock?.caPath === undefined) return plan
  return { ...plan, ca: readCaFile(mock.caPath), config: { ...plan.config, caFile: mock.caPath } }
}
