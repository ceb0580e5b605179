import * as hdr from 'hdr-histogram-js'

/**
 * One histogram factory for the whole product, so that every histogram can be added to every
 * other (shards, seconds, endpoints). Values are integer microseconds, 3 significant digits,
 * from 1 µs to 1 hour; larger values are clamped to the top (a request can't take longer than
 * the run's timeout anyway).
 */
export type Histogram = hdr.Histogram

export const HISTOGRAM_MAX_US = 3_600_000_000

export function newHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    autoResize: false,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HISTOGRAM_MAX_US,
    numberOfSignificantValueDigits: 3,
  })
}

/** Records one value in µs, clamped to the histogram's range. */
export function recordUs(histogram: Histogram, us: number): void {
  histogram.recordValue(us < 1 ? 1 : us > HISTOGRAM_MAX_US ? HISTOGRAM_MAX_US : Math.round(us))
}

/** Compressed base64, the format of summary.json and series.ndjson; "" for an empty histogram. */
export function encodeHistogram(histogram: Histogram): string {
  return histogram.totalCount === 0 ? '' : hdr.encodeIntoCompressedBase64(histogram)
}

export function decodeHistogram(encoded: string): Histogram {
  const histogram = newHistogram()
  if (encoded !== '') histogram.add(hdr.decodeFromCompressedBase64(encoded, 32, false))
  return histogram
}

/** Adds encoded histograms into one (merging shards or seconds is exact: counts add). */
export function mergeEncoded(encoded: Iterable<string>): Histogram {
  const total = newHistogram()
  for (const e of encoded) if (e !== '') total.add(hdr.decodeFromCompressedBase64(e, 32, false))
  return total
}
