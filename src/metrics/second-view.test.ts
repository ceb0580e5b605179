import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as hdr from 'hdr-histogram-js'
import { encodeHistogram, HISTOGRAM_MAX_US, newHistogram, recordUs } from '../model/histogram.js'
import type { IntervalStats } from '../model/results.js'
import { decodeRecordedValues, recordedValues, requestsByStatus } from './second-view.js'

/** The reference walk: hdr-histogram-js decodes the whole histogram; we list its non-empty bins. */
function referenceWalk(encoded: string) {
  const h = hdr.decodeFromCompressedBase64(encoded, 32, false) as hdr.JsHistogram
  const lowUs: number[] = []
  const midUs: number[] = []
  const counts: number[] = []
  for (let i = 0; i < h.countsArrayLength; i++) {
    const count = h.getCountAtIndex(i)
    if (count === 0) continue
    const low = h.valueFromIndex(i)
    lowUs.push(low)
    midUs.push(h.medianEquivalentValue(low))
    counts.push(count)
  }
  return { lowUs, midUs, counts, totalCount: h.totalCount }
}

/** A small seeded generator, so a failure can be replayed. */
function lcg(seed: number) {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0
    return s / 2 ** 32
  }
}

test('decodeRecordedValues lists the same bins, counts and sum as hdr-histogram-js', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const random = lcg(seed)
    const h = newHistogram()
    const n = 1 + Math.floor(random() * 5000)
    // log-uniform from 1 µs to ~1 h: every bucket size of the layout, big counts and long zero runs
    for (let i = 0; i < n; i++) recordUs(h, Math.exp(random() * Math.log(HISTOGRAM_MAX_US)))
    h.recordValueWithCount(2500, 1_000_000_007) // a count that needs a long LEB128 word
    const encoded = encodeHistogram(h)
    const ours = decodeRecordedValues(encoded)
    const ref = referenceWalk(encoded)
    assert.deepEqual(ours.lowUs, ref.lowUs, `seed ${seed}`)
    assert.deepEqual(ours.midUs, ref.midUs, `seed ${seed}`)
    assert.deepEqual(ours.counts, ref.counts, `seed ${seed}`)
    assert.equal(ours.totalCount, ref.totalCount)
    assert.equal(
      ours.sumUs,
      ref.midUs.reduce((sum, v, i) => sum + v * ref.counts[i]!, 0),
    )
  }
})

test('decodeRecordedValues of an empty histogram, and of a bad string', () => {
  assert.deepEqual(decodeRecordedValues(''), { lowUs: [], midUs: [], counts: [], totalCount: 0, sumUs: 0 })
  assert.throws(() => decodeRecordedValues('bm90IGEgaGlzdG9ncmFt'), /HDR/)
})

function stats(partial: Partial<IntervalStats>): IntervalStats {
  return {
    asked: 0,
    requests: 0,
    ok: 0,
    dropped: 0,
    errors: {},
    status: {},
    latency: '',
    latencyFromSend: '',
    sendLag: '',
    ...partial,
  }
}

test('recordedValues decodes each histogram of an interval once', () => {
  const h = newHistogram()
  recordUs(h, 1234)
  const s = stats({ latency: encodeHistogram(h) })
  const first = recordedValues(s, 'latency')
  assert.equal(recordedValues(s, 'latency'), first)
  assert.deepEqual(first.counts, [1])
  assert.equal(recordedValues(s, 'sendLag').totalCount, 0)
})

const STATUS_TABLE: Array<[string, Partial<IntervalStats>, Array<[string, number]>]> = [
  [
    'answers only',
    { requests: 5, ok: 4, status: { '200': 4, '503': 1 }, errors: { http_5xx: 1 } },
    [
      ['200', 4],
      ['503', 1],
    ],
  ],
  [
    'transport failures take their kind',
    { requests: 6, ok: 3, status: { '200': 3 }, errors: { timeout: 2, reset: 1 } },
    [
      ['200', 3],
      ['timeout', 2],
      ['reset', 1],
    ],
  ],
  [
    'http kinds are not transport failures',
    { requests: 3, status: { '404': 1 }, errors: { http_4xx: 1, connect_refused: 2 } },
    [
      ['404', 1],
      ['connect_refused', 2],
    ],
  ],
  [
    'unexplained failures are "other"',
    { requests: 4, status: { '200': 2 }, errors: {} },
    [
      ['200', 2],
      ['other', 2],
    ],
  ],
  [
    'an "other" kind and a rest add up',
    { requests: 4, status: { '200': 1 }, errors: { other: 1 } },
    [
      ['200', 1],
      ['other', 3],
    ],
  ],
  ['nothing', {}, []],
]

for (const [name, partial, expected] of STATUS_TABLE) {
  test(`requestsByStatus: ${name}`, () => {
    const out = requestsByStatus(stats(partial))
    assert.deepEqual(out, expected)
    assert.equal(
      out.reduce((sum, [, n]) => sum + n, 0),
      partial.requests ?? 0,
    )
  })
}
