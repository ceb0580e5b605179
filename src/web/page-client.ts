import type uPlot from 'uplot'
import type { ChartData, ClientData } from '../report/index.js'
import type { ControlState } from './control.js'
import type { ControlEvent, HelloEvent, LiveFinal, LiveStep, SecondEvent, TableRow } from './feed-types.js'

type Draw = (UPlot: typeof uPlot, data: ClientData) => void

/**
 * The live page's script, run in the browser (serialized with toString(): it must use nothing
 * from outside its own body). Opens the event stream with the page's token, draws the report's
 * charts (drawCharts) on hello and appends each second to them, fills the tables, and sends the
 * control buttons' requests with the token as a bearer header.
 *
 * For tests, <html> carries data-feed (open/closed), data-live-t (the last second shown) and
 * data-charts-ready (set by drawCharts).
 */
export function liveClient(UPlot: typeof uPlot, draw: Draw): void {
  const token = new URLSearchParams(location.search).get('token') ?? ''
  const root = document.documentElement
  const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T
  let chart: ChartData | null = null
  let endpoints: readonly string[] = []
  let ended = false
  const stepsSeen = new Map<number, LiveStep>()

  const num = (v: number | null | undefined, decimals = 0) =>
    v === null || v === undefined ? '–' : v.toLocaleString('en-US', { maximumFractionDigits: decimals })
  const clock = (s: number) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`
  const cell = (text: string, cls = '', field = '') => {
    const td = document.createElement('td')
    td.textContent = text
    if (cls) td.className = cls
    if (field) td.dataset.field = field
    return td
  }
  const setCard = (field: string, text: string, bad = false) => {
    const card = document.querySelector<HTMLElement>(`[data-live="${field}"]`)
    if (!card) return
    card.querySelector('.value')!.textContent = text
    card.classList.toggle('bad', bad)
  }

  function renderTable(rows: readonly TableRow[]): void {
    const body = byId<HTMLTableElement>('endpoints').tBodies[0]!
    body.replaceChildren(
      ...rows.map((r) => {
        const tr = document.createElement('tr')
        tr.dataset.endpoint = r.endpoint
        if (r.endpoint === 'total') tr.className = 'total'
        const name = document.createElement('td')
        name.className = 'text'
        name.append(Object.assign(document.createElement('code'), { textContent: r.endpoint }))
        tr.append(
          name,
          cell(num(r.requests), '', 'requests'),
          cell(num(r.ok), '', 'ok'),
          cell(num(r.errors), r.errors > 0 ? 'bad' : '', 'errors'),
          cell(num(r.dropped), r.dropped > 0 ? 'bad' : '', 'dropped'),
          cell(num(r.askedRps), '', 'askedRps'),
          cell(num(r.achievedRps), '', 'achievedRps'),
          cell(num(r.p50, 2), '', 'p50'),
          cell(num(r.p95, 2), '', 'p95'),
          cell(num(r.p99, 2), '', 'p99'),
          cell(num(r.max, 2), '', 'max'),
        )
        return tr
      }),
    )
    const total = rows.find((r) => r.endpoint === 'total')
    if (total) {
      setCard('p95', num(total.p95, 1))
      setCard('errors', num(total.errors), total.errors > 0)
      setCard('dropped', num(total.dropped), total.dropped > 0)
    }
  }

  function renderThresholds(list: HelloEvent['thresholds']): void {
    const body = byId<HTMLTableElement>('thresholds').tBodies[0]!
    body.replaceChildren(
      ...list.map((t) => {
        const tr = document.createElement('tr')
        tr.className = t.ok ? 'pass' : 'fail'
        tr.append(
          cell(t.ok ? '✓ pass' : '✗ failing', `text ${t.ok ? 'good' : 'bad'}`),
          cell(t.metric, 'text'),
          cell(t.expr, 'text'),
          cell(t.value === null ? 'no data' : num(t.value, 3)),
        )
        return tr
      }),
    )
  }

  function renderControl(state: ControlState | null): void {
    const panel = byId('control')
    panel.hidden = state === null
    if (!state) return
    const steerable = state.steerable
    const live = state.phase === 'running'
    for (const id of ['scale-set', 'scale-input', 'pause', 'resume'])
      (byId(id) as HTMLButtonElement).disabled = !live || !steerable
    ;(byId('pause') as HTMLButtonElement).disabled = !live || !steerable || state.paused
    ;(byId('resume') as HTMLButtonElement).disabled = !live || !steerable || !state.paused
    ;(byId('stop') as HTMLButtonElement).disabled = !live
    byId('control-state').textContent =
      `now: user scale ${num(state.scale, 3)}${state.paused ? ', arrivals paused' : ''} (${state.phase})`
    byId('scale-limit').textContent =
      state.maxScale === null
        ? 'No upper bound (--no-limits).'
        : `Upper bound: ${num(state.maxScale, 3)} (the run's rate cap).`
    root.dataset.userScale = String(state.scale)
    root.dataset.paused = String(state.paused)
    const badge = byId('state')
    if (!ended) {
      badge.textContent = state.phase === 'running' ? (state.paused ? 'paused' : 'live') : state.phase
      badge.className = `badge ${state.paused ? 'paused' : 'live'}`
    }
  }

  function renderSteps(steps: readonly LiveStep[]): void {
    const body = byId<HTMLTableElement>('steps').tBodies[0]!
    body.replaceChildren(
      ...steps.map((s) => {
        const tr = document.createElement('tr')
        tr.dataset.step = String(s.index)
        const verdict =
          s.held === null
            ? 'running…'
            : s.held
              ? '✓ held'
              : `✗ failed${s.notes.length ? `: ${s.notes.join('; ')}` : ''}`
        tr.append(
          cell(String(s.index)),
          cell(`${num(s.share, 3)}x`),
          cell(num(s.askedRps, 1)),
          cell(num(s.achievedRps, 1)),
          cell(num(s.p95Ms, 1)),
          cell(`${num(s.errorRate * 100, 2)}%`),
          cell(verdict, `text ${s.held === false ? 'bad' : s.held ? 'good' : ''}`),
        )
        return tr
      }),
    )
  }

  function drawAll(data: ChartData, colors: readonly string[]): void {
    for (const box of document.querySelectorAll('.chart')) box.replaceChildren()
    // drawCharts wires the selector and the checkbox: fresh ones, so a second hello does not wire twice
    const select = byId<HTMLSelectElement>('endpoint-select')
    const fresh = select.cloneNode(false) as HTMLSelectElement
    fresh.append(new Option('all endpoints', 'total'), ...endpoints.map((id) => new Option(id, id)))
    select.replaceWith(fresh)
    const box = byId<HTMLInputElement>('show-from-send')
    box.replaceWith(box.cloneNode(false))
    draw(UPlot, { chart: data, endpoints, colors })
  }
  const redraw = () =>
    (window as unknown as { checkinLoadCharts?: { redraw(): void } }).checkinLoadCharts?.redraw()

  function onHello(h: HelloEvent): void {
    byId('kind').textContent = h.kind === 'capacity' ? 'capacity search' : 'run'
    byId('steps-section').hidden = h.kind !== 'capacity'
    renderControl(h.control)
    stepsSeen.clear()
    for (const step of h.steps) stepsSeen.set(step.index, step)
    renderSteps(h.steps)
    const log = byId('control-log')
    log.replaceChildren()
    for (const change of h.controls) logChange(change)
    if (!h.run || !h.chart) return
    byId('run-line').textContent = `Run ${h.run.runId} against ${h.run.target}, started ${h.run.startedAt}`
    endpoints = h.run.endpoints
    chart = h.chart
    drawAll(chart, h.colors)
    renderTable(h.table)
    renderThresholds(h.thresholds)
    const last = chart.t.length - 1
    if (last >= 0) {
      showClock(chart.t[last]!, h.plannedS)
      root.dataset.liveT = String(chart.t[last])
    }
    if (h.final) onEnd({ final: h.final, control: h.control })
  }

  function showClock(t: number, plannedS: number | null): void {
    setCard('elapsed', clock(t + 1))
    byId('clock-line').textContent = plannedS ? `${t + 1} s of ${plannedS} s planned` : `${t + 1} s`
  }

  let plannedS: number | null = null
  function onSecond(s: SecondEvent): void {
    if (!chart) return
    const r = s.row
    chart.t.push(r.t)
    chart.share.push(r.share)
    const append = (columns: Record<string, (number | null)[]>, values: Record<string, number | null>) => {
      for (const key of Object.keys(columns)) columns[key]!.push(values[key] ?? null)
    }
    append(
      chart.total as unknown as Record<string, (number | null)[]>,
      r.total as unknown as Record<string, number | null>,
    )
    for (const id of Object.keys(chart.endpoints))
      append(
        chart.endpoints[id] as unknown as Record<string, (number | null)[]>,
        (r.endpoints[id] ?? {}) as unknown as Record<string, number | null>,
      )
    for (const key of ['eventLoopLagMsP99', 'cpuPct', 'rssMb', 'inFlight'] as const)
      chart.generator[key].push(r.generator[key])
    redraw()
    showClock(r.t, plannedS)
    setCard('share', `${num(r.share, 3)}x`)
    setCard('asked', num(r.total.asked, 0))
    setCard('achieved', num(r.total.achieved, 0), (r.total.achieved ?? 0) < (r.total.asked ?? 0) * 0.95)
    setCard('inFlight', num(r.generator.inFlight))
    renderTable(s.table)
    renderThresholds(s.thresholds)
    renderControl(s.control)
    root.dataset.liveT = String(r.t)
  }

  function logChange(change: ControlEvent['change']): void {
    const item = document.createElement('li')
    const what = change.action === 'scale' ? `scale ${change.from} → ${change.to}` : change.action
    item.textContent = `${clock(change.atMs / 1000)} ${change.who}: ${what}`
    byId('control-log').append(item)
  }

  function onControl(e: ControlEvent): void {
    logChange(e.change)
    renderControl(e.control)
    if (chart) {
      ;(chart as { markers?: { t: number; label: string }[] }).markers ??= []
      chart.markers!.push(e.marker)
      redraw()
    }
  }

  function onEnd(e: { final: LiveFinal; control: ControlState | null }): void {
    ended = true
    renderControl(e.control)
    const badge = byId('state')
    badge.textContent = 'ended'
    badge.className = 'badge ended'
    const verdict = byId('verdict')
    verdict.textContent = e.final.passed ? 'PASSED' : 'FAILED'
    verdict.className = `badge ${e.final.passed ? 'pass' : 'fail'}`
    if (e.final.note) byId('clock-line').textContent = e.final.note
    renderThresholds(e.final.thresholds)
    const link = byId<HTMLAnchorElement>('report-link')
    link.href = `/report?token=${encodeURIComponent(token)}`
    link.hidden = false
    root.dataset.ended = 'true'
  }

  async function post(body: unknown): Promise<void> {
    const message = byId('control-message')
    message.textContent = ''
    message.className = ''
    try {
      const response = await fetch('/api/control', {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'x-control-source': 'web',
        },
        body: JSON.stringify(body),
      })
      const answer = (await response.json()) as { error?: string; control?: ControlState }
      if (!response.ok) {
        message.textContent = answer.error ?? `refused (${response.status})`
        message.className = 'bad'
      } else if (answer.control) renderControl(answer.control)
    } catch (error) {
      message.textContent = `the run did not answer: ${(error as Error).message}`
      message.className = 'bad'
    }
  }
  byId('scale-set').addEventListener('click', () => {
    const value = Number((byId('scale-input') as HTMLInputElement).value)
    void post({ scale: value })
  })
  byId('pause').addEventListener('click', () => void post({ action: 'pause' }))
  byId('resume').addEventListener('click', () => void post({ action: 'resume' }))
  byId('stop').addEventListener('click', () => {
    if (window.confirm('Stop the run? Visits in flight finish and the results are written.'))
      void post({ action: 'stop' })
  })

  const events = new EventSource(`/api/events?token=${encodeURIComponent(token)}`)
  const on = <T>(name: string, handle: (data: T) => void) =>
    events.addEventListener(name, (event) => handle(JSON.parse((event as MessageEvent<string>).data) as T))
  on<HelloEvent>('hello', (h) => {
    plannedS = h.plannedS
    onHello(h)
  })
  on<SecondEvent>('second', onSecond)
  on<ControlEvent>('control', onControl)
  on<LiveStep>('step', (step) => {
    stepsSeen.set(step.index, step)
    renderSteps([...stepsSeen.values()].sort((a, b) => a.index - b.index))
  })
  on<{ final: LiveFinal; control: ControlState | null }>('end', (e) => {
    onEnd(e)
    events.close()
    root.dataset.feed = 'closed'
  })
  events.addEventListener('open', () => {
    root.dataset.feed = 'open'
  })
  events.addEventListener('error', () => {
    if (!ended) byId('state').textContent = 'reconnecting…'
  })
}
