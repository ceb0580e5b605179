import { type RebuildOptions, type RebuiltRun, rebuildSummary } from './rebuild.js'
import { type WriteOptions, type WrittenFiles, writeRunFiles } from './write.js'

/**
 * `checkin-load report DIR`: rebuilds summary.json and report.html (and JUnit/Markdown when
 * asked) from the run folder's series.ndjson alone, judged by the run's own thresholds or by
 * `thresholds` when given.
 */
export async function rebuildRunFiles(
  dir: string,
  options: WriteOptions & RebuildOptions = {},
): Promise<RebuiltRun & { readonly files: WrittenFiles }> {
  const { thresholds, defaultSlos, ...write } = options
  const rebuilt = await rebuildSummary(dir, {
    ...(thresholds && { thresholds }),
    ...(defaultSlos !== undefined && { defaultSlos }),
  })
  const files = await writeRunFiles(dir, rebuilt.summary, rebuilt.chart, write)
  return { ...rebuilt, files }
}
