import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { mergeHeaders, mergeSeconds, missingShards, secondOffset } from '../cluster/merge-series.js'
import type { ThresholdSpec } from '../config/thresholds.js'
import { ResultsError } from '../errors.js'
import { SeriesWriter } from '../metrics/index.js'
import { makeOutputDir } from '../metrics/output-dir.js'
import type {
  EndReason,
  SeriesEnd,
  SeriesHeader,
  SeriesLine,
  SeriesSecond,
  Shard,
  Summary,
} from '../model/results.js'
import {
  RunAccumulator,
  readSeries,
  SERIES_FILE,
  thresholdsOfRun,
  type WriteOptions,
  type WrittenFiles,
  writeRunFiles,
} from '../report/index.js'

/**
 * `checkin-load merge DIR... --out DIR`: the run folders of the shards of one run (Kubernetes
 * pods, or `run --shard i/N` by hand) merged into one run folder, exactly: second by second,
 * aligned by wall clock, counts add and HDR histograms add. The merged folder is a run folder like
 * any other (series.ndjson, summary.json, report.html), judged by the run's thresholds (from the
 * shards' config) and the default SLOs, or by the ones given, as `report` would.
 *
 * Refused (exit 2): a folder that is not a run folder, shards of different runs, the same shard
 * twice, a different shard count, an output folder that already holds a run. Shards may be missing
 * (a pod that failed): the merge goes on and says which.
 *
 * Streaming: the shards' series files are read side by side, one second at a time, so memory does
 * not grow with the run's length.
 */
export interface MergeOptions extends WriteOptions {
  /** judge by these instead of the run's own thresholds */
  readonly thresholds?: readonly ThresholdSpec[]
  /** add the built-in SLOs (default: as the run did) */
  readonly defaultSlos?: boolean
}

export interface MergeOutcome {
  readonly runDir: string
  /** the run folders merged, in the order given */
  readonly sources: readonly string[]
  readonly header: SeriesHeader
  readonly summary: Summary
  readonly files: WrittenFiles
  /** shards of the run that were not given */
  readonly missing: readonly Shard[]
  /** things the user should know: torn last lines, shards that did not end cleanly */
  readonly warnings: readonly string[]
  /** 0 every threshold passed, 99 one failed */
  readonly exitCode: 0 | 99
}

/** A run folder: DIR itself, or the one run folder inside DIR (a pod's `--out` folder). */
export function resolveRunFolder(dir: string): string {
  if (existsSync(join(dir, SERIES_FILE))) return dir
  let inside: string[] = []
  try {
    if (statSync(dir).isDirectory()) {
      inside = readdirSync(dir, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, SERIES_FILE)))
        .map((entry) => join(dir, entry.name))
    }
  } catch {
    throw new ResultsError(`${dir} does not exist: give the run folders of the shards to merge`)
  }
  if (inside.length === 1) return inside[0]!
  if (inside.length > 1) {
    throw new ResultsError(
      `${dir} holds ${inside.length} run folders: name the one to merge (${inside.join(', ')})`,
    )
  }
  throw new ResultsError(`${dir} is not a run folder: it has no ${SERIES_FILE}`)
}

/** Worst first: the merged run ended the way its worst shard did. */
const END_SEVERITY: readonly EndReason[] = [
  'error',
  'write_failed',
  'aborted_by_threshold',
  'interrupted',
  'completed',
]

/** One shard's series, read a line at a time. */
class ShardReader {
  header!: SeriesHeader
  offset = 0
  /** the next second (aligned t), or undefined once the file is over */
  next: SeriesSecond | undefined
  end: SeriesEnd | undefined
  tornLine: number | undefined
  private readonly lines: AsyncGenerator<SeriesLine>

  constructor(readonly dir: string) {
    this.lines = readSeries(join(dir, SERIES_FILE), (n) => {
      this.tornLine = n
    })
  }

  async open(): Promise<void> {
    const first = await this.lines.next()
    // readSeries refuses a file that does not start with a header
    this.header = first.value as SeriesHeader
  }

  /** Lets go of the file. */
  async close(): Promise<void> {
    await this.lines.return(undefined)
  }

  /** Reads up to the next second line (or the end). */
  async advance(): Promise<void> {
    this.next = undefined
    for (;;) {
      const { value, done } = await this.lines.next()
      if (done) return
      if (value.type === 'second') {
        this.next = { ...value, t: value.t + this.offset }
        return
      }
      if (value.type === 'end') this.end = value
    }
  }
}

export async function mergeRuns(
  dirs: readonly string[],
  outDir: string,
  options: MergeOptions = {},
): Promise<MergeOutcome> {
  if (dirs.length === 0) throw new ResultsError('merge needs the run folders of the shards')
  const sources = dirs.map(resolveRunFolder)
  const out = resolve(outDir)
  for (const source of sources) {
    if (resolve(source) === out) {
      throw new ResultsError(`--out ${outDir} is one of the folders to merge: write the merged run elsewhere`)
    }
  }
  if (existsSync(join(outDir, SERIES_FILE))) {
    throw new ResultsError(`${outDir} already holds a run: give --out a new folder`)
  }
  const readers = sources.map((dir) => new ShardReader(dir))
  try {
    return await mergeReaders(readers, sources, outDir, options)
  } finally {
    await Promise.all(readers.map((r) => r.close().catch(() => {})))
  }
}

async function mergeReaders(
  readers: readonly ShardReader[],
  sources: readonly string[],
  outDir: string,
  options: MergeOptions,
): Promise<MergeOutcome> {
  for (const reader of readers) await reader.open()
  const header = mergeHeaders(
    readers.map((r) => r.header),
    sources,
  )
  for (const reader of readers) {
    reader.offset = secondOffset(reader.header, header.startedAtMs)
    await reader.advance()
  }
  const missing = missingShards(header.shards ?? [])
  const warnings: string[] = []
  if (missing.length > 0) {
    warnings.push(
      `shard(s) ${missing.map((s) => `${s.index}/${s.count}`).join(', ')} not given: the merged run holds ${readers.length} of ${missing[0]!.count} shards`,
    )
  }

  try {
    makeOutputDir(outDir)
  } catch (error) {
    throw new ResultsError(
      `cannot write the merged run in ${outDir}: ${(error as Error).message}; choose another --out`,
    )
  }
  const series = new SeriesWriter(join(outDir, SERIES_FILE))
  const accumulator = new RunAccumulator(header)
  let endLine: SeriesEnd | undefined
  try {
    series.onHeader(header)
    // bounded: every pass consumes at least one second line of one shard
    for (;;) {
      let t = Number.POSITIVE_INFINITY
      for (const r of readers) if (r.next !== undefined && r.next.t < t) t = r.next.t
      if (t === Number.POSITIVE_INFINITY) break
      const parts: SeriesSecond[] = []
      for (const r of readers) {
        if (r.next?.t === t) {
          parts.push(r.next)
          await r.advance()
        }
      }
      const second = mergeSeconds(t, parts)
      series.onSecond(second)
      accumulator.add(second)
    }
    for (const r of readers) {
      if (r.tornLine !== undefined) warnings.push(`${r.dir}: skipped a torn last line (line ${r.tornLine})`)
      if (r.end === undefined) {
        warnings.push(`${r.dir} has no end line (the shard was killed): merged up to its last whole second`)
      } else if (r.end.reason !== 'completed') {
        warnings.push(`${r.dir} ended ${r.end.reason}`)
      }
    }
    const ends = readers.map((r) => r.end)
    if (ends.every((e): e is SeriesEnd => e !== undefined)) {
      endLine = {
        type: 'end',
        endedAt: ends.map((e) => e.endedAt).sort()[ends.length - 1]!,
        reason: END_SEVERITY.find((reason) => ends.some((e) => e.reason === reason)) ?? 'completed',
        abandonedInFlight: ends.reduce((sum, e) => sum + e.abandonedInFlight, 0),
      }
      series.onEnd(endLine)
    }
  } finally {
    series.close()
  }

  const { thresholds, defaultSlos, ...write } = options
  const judging = thresholdsOfRun(header, {
    ...(thresholds && { thresholds }),
    ...(defaultSlos !== undefined && { defaultSlos }),
  })
  const built = accumulator.summary.build({
    ...(endLine && { endedAt: endLine.endedAt }),
    endReason: endLine?.reason ?? 'incomplete',
    thresholds: judging,
  })
  const summary: Summary = { ...built, ...(header.shards && { shards: header.shards }) }
  const files = await writeRunFiles(outDir, summary, accumulator.chart.result(), write)
  return {
    runDir: outDir,
    sources,
    header,
    summary,
    files,
    missing,
    warnings,
    exitCode: summary.passed ? 0 : 99,
  }
}
