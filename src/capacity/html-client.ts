import type uPlot from 'uplot'

/** What the capacity page's script gets, embedded as JSON in the page: one entry per judged step, by asked rate. */
export interface CapacityChartData {
  /** asked req/s (as sent), ascending */
  readonly asked: readonly number[]
  readonly achieved: readonly number[]
  /** latency percentiles per step, ms: 'total' and each endpoint */
  readonly latency: Readonly<
    Record<string, { readonly p50: number[]; readonly p95: number[]; readonly p99: number[] }>
  >
  /** what the knee chart shows first: the endpoint whose SLO broke first, else 'total' */
  readonly focus: string
  /** the share of each point and its result */
  readonly share: readonly number[]
  readonly result: readonly string[]
  /** asked req/s where the search put the knee (held, failed) and where Little's law does; null when unknown */
  readonly heldRps: number | null
  readonly failedRps: number | null
  readonly predictedRps: number | null
}

/**
 * The capacity page's script, run in the browser (serialized with toString(): it must use nothing
 * from outside its own body). Two charts over the asked rate: latency p50/p95/p99 of one endpoint or
 * of all (a selector; first the endpoint whose SLO broke first), on a log scale: the knee; and
 * achieved vs asked. Failed steps' points are red, untrusted ones grey; the knee and the
 * Little's-law prediction are vertical lines. Sets data-charts-ready on <html> when done.
 */
export function drawCapacityCharts(UPlot: typeof uPlot, data: CapacityChartData): void {
  const num = (v: number | null | undefined, decimals: number) =>
    v === null || v === undefined ? '–' : v.toLocaleString('en-US', { maximumFractionDigits: decimals })
  const COLORS: Record<string, string> = { pass: '#1a7f37', fail: '#cf222e', untrusted: '#8c959f' }
  const width = (el: HTMLElement) => Math.max(el.clientWidth, 320)

  /** points coloured by their step's result */
  const pointsByResult = (seriesIdx: number) => (u: uPlot) => {
    const ctx = u.ctx
    const xs = u.data[0]
    const ys = u.data[seriesIdx]
    if (!ys) return
    ctx.save()
    for (let i = 0; i < xs.length; i++) {
      const y = ys[i]
      if (y === null || y === undefined) continue
      const cx = u.valToPos(xs[i]!, 'x', true)
      const cy = u.valToPos(y, u.series[seriesIdx]!.scale ?? 'y', true)
      ctx.beginPath()
      ctx.fillStyle = COLORS[data.result[i] ?? 'pass'] ?? '#1a7f37'
      ctx.arc(cx, cy, 5 * devicePixelRatio, 0, 2 * Math.PI)
      ctx.fill()
    }
    ctx.restore()
  }

  const markers = (u: uPlot) => {
    const ctx = u.ctx
    const lines: [number | null, string, string][] = [
      [data.heldRps, '#1a7f37', 'held'],
      [data.failedRps, '#cf222e', 'failed'],
      [data.predictedRps, '#8250df', "Little's law"],
    ]
    ctx.save()
    ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`
    let row = 0
    for (const [x, color, label] of lines) {
      if (x === null) continue
      row++
      const px = u.valToPos(x, 'x', true)
      ctx.strokeStyle = color
      ctx.fillStyle = color
      ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio])
      ctx.lineWidth = 1.5 * devicePixelRatio
      ctx.beginPath()
      ctx.moveTo(px, u.bbox.top)
      ctx.lineTo(px, u.bbox.top + u.bbox.height)
      ctx.stroke()
      // labels one under the other: the three lines are often a few req/s apart
      ctx.fillText(label, px + 4 * devicePixelRatio, u.bbox.top + 13 * row * devicePixelRatio)
    }
    ctx.restore()
  }

  const xAxis: uPlot.Axis = { label: 'asked req/s' }
  const xSeries: uPlot.Series = { label: 'asked req/s', value: (_u, v) => num(v, 1) }
  const line = (label: string, stroke: string, dash?: number[]): uPlot.Series => ({
    label,
    stroke,
    width: 1.5,
    ...(dash ? { dash } : {}),
    points: { show: false },
    value: (_u, v) => num(v, 1),
  })

  const latencyEl = document.getElementById('chart-knee')
  const select = document.getElementById('knee-endpoint') as HTMLSelectElement | null
  const latencyOf = (id: string): uPlot.AlignedData => {
    const l = data.latency[id] ?? data.latency.total!
    const positive = (xs: readonly number[]) => xs.map((v) => (v > 0 ? v : null))
    return [data.asked as number[], positive(l.p50), positive(l.p95), positive(l.p99)] as uPlot.AlignedData
  }
  if (latencyEl) {
    const knee = new UPlot(
      {
        title: 'Latency vs asked rate (log scale): the knee',
        width: width(latencyEl),
        height: 300,
        scales: { x: { time: false }, y: { distr: 3 } },
        axes: [xAxis, { label: 'ms (from the intended send time)', size: 70 }],
        series: [
          xSeries,
          line('p50 ms', '#1f6feb', [4, 4]),
          line('p95 ms', '#bf8700'),
          line('p99 ms', '#e16f24'),
        ],
        hooks: { draw: [pointsByResult(2), markers] },
      },
      latencyOf(data.focus),
      latencyEl,
    )
    if (select) {
      select.value = data.focus
      select.addEventListener('change', () => knee.setData(latencyOf(select.value)))
    }
  }
  const rateEl = document.getElementById('chart-throughput')
  if (rateEl) {
    const top = Math.max(1, ...data.asked, ...data.achieved) * 1.08
    new UPlot(
      {
        title: 'Achieved vs asked rate',
        width: width(rateEl),
        height: 300,
        scales: { x: { time: false }, y: { range: () => [0, top] } },
        axes: [xAxis, { label: 'req/s', size: 70 }],
        series: [
          xSeries,
          line('asked (achieved = asked)', '#8c959f', [4, 4]),
          line('achieved req/s', '#1f6feb'),
        ],
        hooks: { draw: [pointsByResult(2), markers] },
      },
      [data.asked as number[], data.asked as number[], data.achieved as number[]] as uPlot.AlignedData,
      rateEl,
    )
  }
  document.documentElement.dataset.chartsReady = 'true'
}
