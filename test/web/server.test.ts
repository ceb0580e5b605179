import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { ControlSource, SeriesControl } from '../../src/model/results.js'
import { defaultSlosFor } from '../../src/report/index.js'
import {
  ControlRefused,
  type ControlState,
  type HelloEvent,
  LiveFeed,
  type LoadControl,
  type SecondEvent,
  startWebServer,
  type WebServer,
} from '../../src/web/index.js'
import { synthesizeRun } from '../report/fixtures.js'
import { call, control, openEvents } from './helpers.js'

/** The live page's server with a fake controller and fake seconds: its guards and its stream. */
class FakeControl implements LoadControl {
  readonly calls: string[] = []
  phase: ControlState['phase'] = 'running'
  scale = 1
  state(): ControlState {
    return { scale: this.scale, paused: false, phase: this.phase, maxScale: 10, steerable: true }
  }
  private change(who: ControlSource, action: SeriesControl['action'], to: number): SeriesControl {
    this.calls.push(`${who}:${action}:${to}`)
    return { type: 'control', atMs: 1234, who, action, from: this.scale, to }
  }
  setScale(scale: number, who: ControlSource) {
    if (scale > 10) throw new ControlRefused(400, 'over the limit')
    const c = this.change(who, 'scale', scale)
    this.scale = scale
    return c
  }
  pause(who: ControlSource) {
    return this.change(who, 'pause', 0)
  }
  resume(who: ControlSource) {
    return this.change(who, 'resume', this.scale)
  }
  stop(who: ControlSource) {
    if (this.phase !== 'running') throw new ControlRefused(409, 'the run has ended')
    return this.change(who, 'stop', this.scale)
  }
}

const run = synthesizeRun({ seconds: 6, seed: 21, runId: 'live-run' })
const fake = new FakeControl()
const feed = new LiveFeed({
  kind: 'run',
  thresholds: defaultSlosFor(run.header.endpoints),
  plannedS: 6,
  control: () => fake.state(),
})
let server: WebServer

before(async () => {
  server = await startWebServer({ host: '127.0.0.1', port: 0, feed, control: fake })
})
after(() => server.close())

const events = (query = `?token=${server.token}`) => new URL(`/api/events${query}`, server.url).href

test('the page URL is loopback with a random token; the page needs it', async () => {
  assert.match(server.pageUrl, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{24}$/)
  const other = await startWebServer({ port: 0, feed })
  assert.notEqual(other.token, server.token)
  await other.close()
  const page = await call(server.pageUrl)
  assert.equal(page.status, 200)
  assert.match(String(page.headers['content-type']), /^text\/html/)
  assert.match(String(page.headers['content-security-policy']), /connect-src 'self'/)
  assert.equal(page.headers['referrer-policy'], 'no-referrer')
  assert.match(page.body, /id="scale-input"/)
  // no external asset: no src= or href= pointing anywhere
  assert.doesNotMatch(page.body, /(src|href)="(https?:)?\/\//)
  assert.equal((await call(server.url)).status, 401)
  assert.equal((await call(`${server.url}?token=wrong`)).status, 401)
})

test('401: reading or steering without the token, or with a wrong one', async () => {
  assert.equal((await call(events(''))).status, 401)
  assert.equal((await call(events('?token=nope'))).status, 401)
  assert.equal((await call(new URL('/api/state', server.url).href)).status, 401)
  assert.equal((await control(server.url, undefined, { scale: 2 })).status, 401)
  assert.equal((await control(server.url, 'wrong-token', { scale: 2 })).status, 401)
  // the token in the query reads, but does not steer
  const viaQuery = await call(new URL(`/api/control?token=${server.token}`, server.url).href, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"scale":2}',
  })
  assert.equal(viaQuery.status, 401)
  assert.deepEqual(fake.calls, [])
})

test('403: another origin, even with the token', async () => {
  const evil = await control(server.url, server.token, { scale: 2 }, { origin: 'http://evil.example' })
  assert.equal(evil.status, 403)
  const host = new URL(server.url).host
  const otherPort = await control(server.url, server.token, { scale: 2 }, { origin: `http://127.0.0.1:1` })
  assert.equal(otherPort.status, 403)
  assert.equal((await call(events(), { headers: { origin: 'http://evil.example' } })).status, 403)
  assert.deepEqual(fake.calls, [])
  // the page's own origin passes
  const own = await control(server.url, server.token, { scale: 2 }, { origin: `http://${host}` })
  assert.equal(own.status, 200)
})

test('405: a GET (or any other method) that would change state', async () => {
  const calls = fake.calls.length
  const get = await call(new URL(`/api/control?token=${server.token}&scale=5`, server.url).href)
  assert.equal(get.status, 405)
  assert.equal(get.headers.allow, 'POST')
  assert.equal((await call(new URL('/api/control', server.url).href, { method: 'PUT' })).status, 405)
  assert.equal((await call(events(), { method: 'POST' })).status, 405)
  assert.equal(fake.calls.length, calls)
})

test('2xx with the token: the controller gets the request and who sent it', async () => {
  fake.calls.length = 0
  const scale = await control(server.url, server.token, { scale: 1.5 })
  assert.equal(scale.status, 200)
  const answer = JSON.parse(scale.body)
  assert.equal(answer.change.to, 1.5)
  assert.equal(answer.control.scale, 1.5)
  assert.equal(
    (await control(server.url, server.token, { action: 'pause' }, { 'x-control-source': 'web' })).status,
    200,
  )
  assert.equal((await control(server.url, server.token, { action: 'resume' })).status, 200)
  assert.deepEqual(fake.calls, ['api:scale:1.5', 'web:pause:0', 'api:resume:1.5'])
})

test('bad requests: 400 with a one-line reason, never a change', async () => {
  fake.calls.length = 0
  for (const body of [
    { scale: -1 },
    { scale: 'x' },
    { action: 'faster' },
    { scale: 1, action: 'pause' },
    { speed: 2 },
    [1],
  ]) {
    const answer = await control(server.url, server.token, body)
    assert.equal(answer.status, 400, JSON.stringify(body))
    assert.match(JSON.parse(answer.body).error, /\S/)
  }
  const over = await control(server.url, server.token, { scale: 11 })
  assert.equal(over.status, 400)
  assert.match(JSON.parse(over.body).error, /limit/)
  const notJson = await call(new URL('/api/control', server.url).href, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    body: '{scale',
  })
  assert.equal(notJson.status, 400)
  const form = await call(new URL('/api/control', server.url).href, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'scale=2',
  })
  assert.equal(form.status, 415)
  assert.deepEqual(fake.calls, [])
})

test('SSE: hello, then one event per folded second with the chart row, table and thresholds; markers of changes', async () => {
  const early = await openEvents(events())
  await early.until((e) => e.length >= 1)
  assert.equal(early.events[0]!.name, 'hello')
  assert.equal((early.events[0]!.data as HelloEvent).run, undefined)

  feed.onHeader(run.header)
  for (const second of run.seconds.slice(0, 3)) feed.onSecond(second)
  await early.until((e) => e.filter((x) => x.name === 'second').length === 3)
  assert.equal(early.events[1]!.name, 'hello', 'a second hello carries the header')
  const seconds = early.events.filter((e) => e.name === 'second').map((e) => e.data as SecondEvent)
  assert.deepEqual(
    seconds.map((s) => s.row.t),
    [0, 1, 2],
  )
  for (const [i, s] of seconds.entries()) {
    const line = run.seconds[i]!
    let asked = 0
    let requests = 0
    for (const id of run.header.endpoints) {
      asked += line.endpoints[id]!.asked
      requests += line.endpoints[id]!.requests
      assert.equal(s.row.endpoints[id]!.asked, line.endpoints[id]!.asked)
    }
    assert.equal(s.row.total.asked, asked)
    assert.equal(s.row.total.achieved, requests)
    assert.equal(s.row.share, line.share)
    assert.equal(s.table.length, run.header.endpoints.length + 1)
    assert.ok(s.thresholds.length > 0)
    assert.equal(s.control?.phase, 'running')
  }
  const total = seconds[2]!.table.at(-1)!
  assert.equal(total.endpoint, 'total')
  const expected = run.seconds
    .slice(0, 3)
    .reduce((n, l) => n + Object.values(l.endpoints).reduce((m, e) => m + e.requests, 0), 0)
  assert.equal(total.requests, expected)
  assert.ok(total.p95 !== null && total.p95 > 0)

  // a page opened later gets everything so far in its hello
  const late = await openEvents(events(), { authorization: `Bearer ${server.token}` })
  await late.until((e) => e.length >= 1)
  const hello = late.events[0]!.data as HelloEvent
  assert.equal(hello.run?.runId, 'live-run')
  assert.deepEqual(hello.chart?.t, [0, 1, 2])
  assert.equal(hello.table.at(-1)!.requests, expected)
  assert.equal(server.clients, 2)

  feed.onControl({ type: 'control', atMs: 2500, who: 'web', action: 'scale', from: 1, to: 2 })
  feed.onSecond(run.seconds[3]!)
  await late.until((e) => e.some((x) => x.name === 'second'))
  const changeEvent = late.events.find((e) => e.name === 'control')!.data as {
    marker: { t: number; label: string }
  }
  assert.deepEqual(changeEvent.marker, { t: 2.5, label: 'web: scale 1 → 2' })
  early.close()
  late.close()
})

test('the end: an end event, the final report at /report, and 409 for later control', async () => {
  const stream = await openEvents(events())
  fake.phase = 'ended'
  feed.onEnd({ passed: false, endReason: 'completed', thresholds: [] }, '<!doctype html><title>final</title>')
  await stream.until((e) => e.some((x) => x.name === 'end'))
  const report = await call(new URL(`/report?token=${server.token}`, server.url).href)
  assert.equal(report.status, 200)
  assert.match(report.body, /<title>final<\/title>/)
  assert.equal((await call(new URL('/report', server.url).href)).status, 401)
  const late = await control(server.url, server.token, { action: 'stop' })
  assert.equal(late.status, 409)
  const state = JSON.parse(
    (await call(new URL(`/api/state?token=${server.token}`, server.url).href)).body,
  ) as HelloEvent
  assert.equal(state.final?.passed, false)
  stream.close()
})

test('unknown paths 404; close() ends the open streams', async () => {
  assert.equal((await call(new URL('/favicon.ico', server.url).href)).status, 404)
  const own = await startWebServer({ port: 0, feed })
  const stream = await openEvents(new URL(`/api/events?token=${own.token}`, own.url).href)
  await stream.until((e) => e.length >= 1)
  assert.equal(own.clients, 1)
  await own.close()
  assert.equal(own.clients, 0)
})
