import { mkdir } from 'node:fs/promises'
import { type RebuildOptions, type RebuiltRun, rebuildSummary } from './rebuild.js'
import { type WriteOptions, type WrittenFiles, writeExtraFiles, writeRunFiles } from './write.js'

export interface RebuildFilesOptions extends WriteOptions, RebuildOptions {
  /** write summary.json and report.html into this folder, not into the run folder */
  readonly out?: string
}

/**
 * `checkin-load report DIR`: rebuilds summary.json and report.html (and JUnit/Markdown when
 * asked) from the run folder's series.ndjson alone, judged by the run's own thresholds or by
 * `thresholds` when given. The run's own files keep the run's verdict: a re-judged run (other
 * thresholds, or the built-in SLOs switched) writes them only into `out`; without it only the
 * extra outputs are written.
 */
export async function rebuildRunFiles(
  dir: string,
  options: RebuildFilesOptions = {},
): Promise<RebuiltRun & { readonly files: Partial<WrittenFiles>; readonly rejudged: boolean }> {
  const { thresholds, defaultSlos, out, ...write } = options
  const rebuilt = await rebuildSummary(dir, {
    ...(thresholds && { thresholds }),
    ...(defaultSlos !== undefined && { defaultSlos }),
  })
  const rejudged = thresholds !== undefined || defaultSlos !== undefined
  if (out !== undefined) await mkdir(out, { recursive: true })
  const files: Partial<WrittenFiles> =
    out !== undefined || !rejudged
      ? await writeRunFiles(out ?? dir, rebuilt.summary, rebuilt.chart, write)
      : await writeExtraFiles(rebuilt.summary, write)
  return { ...rebuilt, files, rejudged }
}
