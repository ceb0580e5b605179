import type uPlot from 'uplot'
import type { ChartColumns, ChartData } from './chart-data.js'

/** What the report page's script gets, embedded as JSON in the page. */
export interface ClientData {
  readonly chart: ChartData
  /** endpoint ids in the profile's order */
  readonly endpoints: readonly string[]
  /** one colour per endpoint, same order */
  readonly colors: readonly string[]
}

/**
 * The report page's script, run in the browser (it is serialized with toString(), so it must use
 * nothing from outside its own body). Draws the charts with uPlot from the embedded data; an
 * endpoint selector switches the per-endpoint charts; a checkbox shows latency from the actual
 * send beside latency from the intended time. Sets data-charts-ready on <html> when done.
 */
export function drawCharts(UPlot: typeof uPlot, data: ClientData): void {
  const chart = data.chart
  const x = chart.t
  const HEIGHT = 230
  const sync = { key: 'checkin-load' }
  const drawn: { u: uPlot; el: HTMLElement }[] = []
  const clock = (s: number) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`
  const num = (v: number | null | undefined, decimals: number) =>
    v === null || v === undefined ? '–' : v.toLocaleString('en-US', { maximumFractionDigits: decimals })

  // the user's changes to the load (run --web): a dashed vertical line and its label on every chart
  const markerPlugin: uPlot.Plugin = {
    hooks: {
      draw: (u) => {
        const markers = chart.markers ?? []
        if (markers.length === 0) return
        const ctx = u.ctx
        const { top, height } = u.bbox
        ctx.save()
        ctx.strokeStyle = '#8250df'
        ctx.fillStyle = '#8250df'
        ctx.lineWidth = Math.max(1, devicePixelRatio)
        ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio])
        ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`
        for (const [i, m] of markers.entries()) {
          const left = u.valToPos(m.t, 'x', true)
          if (!(left >= u.bbox.left && left <= u.bbox.left + u.bbox.width)) continue
          ctx.beginPath()
          ctx.moveTo(left, top)
          ctx.lineTo(left, top + height)
          ctx.stroke()
          ctx.fillText(m.label, left + 3 * devicePixelRatio, top + (12 + (i % 3) * 12) * devicePixelRatio)
        }
        ctx.restore()
      },
    },
  }

  const fromZero = (_u: uPlot, _min: number | null, max: number | null): uPlot.Range.MinMax => [
    0,
    max !== null && max > 0 ? max * 1.08 : 1,
  ]

  function line(
    label: string,
    stroke: string,
    decimals: number,
    extra: Partial<uPlot.Series> = {},
  ): uPlot.Series {
    return {
      label,
      stroke,
      width: 1.5,
      spanGaps: false,
      points: { show: false },
      value: (_u, v) => num(v, decimals),
      ...extra,
    }
  }

  function make(
    id: string,
    title: string,
    yLabel: string,
    series: uPlot.Series[],
    values: uPlot.AlignedData,
    y2?: string,
  ) {
    const el = document.getElementById(id)
    if (!el) return undefined
    const axes: uPlot.Axis[] = [
      { label: 'time since start (m:ss)', values: (_u, ticks) => ticks.map(clock) },
      { label: yLabel, size: 60 },
    ]
    if (y2) axes.push({ scale: y2, label: y2, side: 1, grid: { show: false }, size: 60 })
    const u = new UPlot(
      {
        title,
        width: Math.max(el.clientWidth, 300),
        height: HEIGHT,
        cursor: { sync },
        plugins: [markerPlugin],
        // counts, rates and latencies: the y axes start at zero, so a flat line reads as flat
        scales: { x: { time: false }, y: { range: fromZero }, ...(y2 ? { [y2]: { range: fromZero } } : {}) },
        axes,
        series: [{ label: 'time', value: (_u, v) => (v === null ? '–' : clock(v)) }, ...series],
      },
      values,
      el,
    )
    drawn.push({ u, el })
    return u
  }

  const columnsOf = (id: string): ChartColumns => (id === 'total' ? chart.total : chart.endpoints[id]!)
  const views = {
    throughput: (c: ChartColumns): uPlot.AlignedData => [x, c.asked, c.achieved],
    latency: (c: ChartColumns): uPlot.AlignedData => [
      x,
      c.p50,
      c.p95,
      c.p99,
      c.sendP50,
      c.sendP95,
      c.sendP99,
    ],
    failures: (c: ChartColumns): uPlot.AlignedData => [x, c.errors, c.dropped],
    sendLag: (c: ChartColumns): uPlot.AlignedData => [x, c.lagP99, c.lagMax],
  }
  const first = columnsOf('total')
  const fill = (color: string) => `${color}22`
  const perEndpoint = {
    throughput: make(
      'chart-throughput',
      'Requests per second: asked vs achieved',
      'req/s',
      [
        line('asked', '#8a8f98', 2, { dash: [6, 4] }),
        line('achieved', '#1f6feb', 2, { fill: fill('#1f6feb') }),
      ],
      views.throughput(first),
    ),
    latency: make(
      'chart-latency',
      'Latency from the intended time (ms)',
      'ms',
      [
        line('p50', '#2da44e', 2),
        line('p95', '#bf8700', 2),
        line('p99', '#cf222e', 2),
        line('p50 from send', '#2da44e', 2, { dash: [4, 4], show: false }),
        line('p95 from send', '#bf8700', 2, { dash: [4, 4], show: false }),
        line('p99 from send', '#cf222e', 2, { dash: [4, 4], show: false }),
      ],
      views.latency(first),
    ),
    failures: make(
      'chart-failures',
      'Errors and dropped arrivals per second',
      'per second',
      [
        line('errors', '#cf222e', 0, { fill: fill('#cf222e') }),
        line('dropped', '#8250df', 0, { fill: fill('#8250df') }),
      ],
      views.failures(first),
    ),
    sendLag: make(
      'chart-send-lag',
      'Send lag: actual − intended send time (ms)',
      'ms',
      [line('p99', '#bf8700', 3), line('max', '#cf222e', 3)],
      views.sendLag(first),
    ),
  }
  const ids = data.endpoints
  make(
    'chart-endpoints-rps',
    'Achieved requests per second by endpoint',
    'req/s',
    ids.map((id, i) => line(id, data.colors[i]!, 2)),
    [x, ...ids.map((id) => columnsOf(id).achieved)],
  )
  make(
    'chart-endpoints-p95',
    'p95 latency by endpoint (ms)',
    'ms',
    ids.map((id, i) => line(id, data.colors[i]!, 2)),
    [x, ...ids.map((id) => columnsOf(id).p95)],
  )
  make(
    'chart-generator',
    'Generator health: event-loop lag p99 (ms) and CPU (%)',
    'ms',
    [
      line('event-loop lag p99', '#cf222e', 2, { fill: fill('#cf222e') }),
      line('CPU %', '#1f6feb', 1, { scale: '%' }),
      line('in flight', '#8a8f98', 0, { scale: '%', show: false }),
    ],
    [x, chart.generator.eventLoopLagMsP99, chart.generator.cpuPct, chart.generator.inFlight],
    '%',
  )

  const select = document.getElementById('endpoint-select') as HTMLSelectElement | null
  select?.addEventListener('change', () => {
    const c = columnsOf(select.value)
    for (const key of Object.keys(perEndpoint) as (keyof typeof perEndpoint)[])
      perEndpoint[key]?.setData(views[key](c))
  })
  const fromSend = document.getElementById('show-from-send') as HTMLInputElement | null
  fromSend?.addEventListener('change', () => {
    for (const i of [4, 5, 6]) perEndpoint.latency?.setSeries(i, { show: fromSend.checked })
  })

  const resize = () => {
    for (const { u, el } of drawn) u.setSize({ width: Math.max(el.clientWidth, 300), height: HEIGHT })
  }
  let pending: number | undefined
  window.addEventListener('resize', () => {
    if (pending !== undefined) window.clearTimeout(pending)
    pending = window.setTimeout(resize, 100)
  })
  // paper is narrower than a laptop screen: redraw at the printable width, then back
  window.addEventListener('beforeprint', () => {
    for (const { u } of drawn) u.setSize({ width: 680, height: 200 })
  })
  window.addEventListener('afterprint', resize)
  // the live page (src/web) appends to data.chart's columns and markers, then redraws
  ;(window as unknown as { checkinLoadCharts?: { redraw(): void } }).checkinLoadCharts = {
    redraw: () => {
      for (const { u } of drawn) u.setData(u.data)
    },
  }
  document.documentElement.dataset.chartsReady = String(drawn.length)
}
