// Which test file runs where: the one place that says so (scripts/run-tests.mjs reads it).
//
//   unit       src/**/*.test.ts, unless listed below: no socket, no process, no real wait, no
//              clock in an assertion. `npm run test:unit` runs these with a preload
//              (scripts/unit-guard.mjs) that fails any of them that listens, connects or spawns.
//   concurrent the unit files, the src files in SRC_NOT_UNIT and the test/ files in
//              TEST_CONCURRENT: they time nothing, so they share the cores with each other.
//   serial     everything else, one file at a time, alone on the machine: SRC_TIMING and every
//              test/ file not in TEST_CONCURRENT.
//
// A new test file falls in sensibly: beside the code it is a unit test (the guard says so if it
// opens a socket or spawns); in test/ it runs alone until someone lists it here as timing nothing.
// "Times something" means an assertion a slow or busy machine can break: a rate, a latency, a
// send lag, a count within a time window, something happening within a sleep, the stand-in's
// backlog, a capacity knee, an upper bound on how long code takes. Bounded polls (wait up to N s
// for a thing that takes milliseconds) and lower bounds ("not before 250 ms") time nothing.

/** src/ test files that open sockets or wait on real timers, but assert nothing about time. */
export const SRC_NOT_UNIT = {
  'src/capacity/cooldown.test.ts': 'an HTTP server on loopback serving /metrics',
  'src/metrics/dogstatsd.test.ts': 'UDP sockets on loopback (polls bounded at 5 s)',
  'src/metrics/exporters.test.ts': 'a UDP socket on loopback',
  'src/metrics/prometheus.test.ts': 'HTTP servers on loopback (a lower bound on the linger only)',
  'src/mock/scheduler.test.ts': 'one real 20 ms timer (a lower bound only)',
}

/** src/ test files with an assertion a busy machine can break: run alone. */
export const SRC_TIMING = {
  'src/metrics/deferred.test.ts': 'all pieces done within a 30 ms sleep',
  'src/report/histogram-stats.test.ts': 'an upper bound on the time of 24 summaries',
}

/** test/ files that time nothing: they run concurrently with each other and the unit tests. */
export const TEST_CONCURRENT = {
  'test/capacity/browser.test.ts': 'a fixture capacity report in Chromium',
  'test/capacity/cli.test.ts': 'bad input and a target where nothing listens: exit codes',
  'test/capacity/result.test.ts': 'pure functions over fixture steps',
  'test/cli/bad-input.test.ts': 'exit codes and messages',
  'test/cli/help.test.ts': "every command's options parsed, stopped before any load: refusals only",
  'test/cli/profile.test.ts': 'the profile table: arithmetic',
  'test/cluster/fleet.test.ts': 'fake workers: messages counted, not timed',
  'test/cluster/k8s-schema.test.ts': 'manifests checked against the Kubernetes schema',
  'test/cluster/merge.test.ts': 'merging fixture shards: exact counts',
  'test/export/k6.test.ts': 'the k6 script loaded with stubs: rates and requests, no clock',
  'test/mock/http.test.ts': 'the stand-in over HTTP: answers and close(), bounded polls',
  'test/mock/tls.test.ts': 'HTTPS with the printed CA: accepted or refused',
  'test/monitoring/dashboard.test.ts': 'the Grafana dashboard and promtool: names, not numbers',
  'test/reliability/bad-input.test.ts': 'fuzzed parsers and the CLI: exit codes',
  'test/reliability/disk.test.ts': 'write failures: exit codes and whole lines',
  'test/reliability/standin-fuzz.test.ts': 'random requests: never a 5xx, heap flat',
  'test/reliability/torn.test.ts': 'torn series files: rebuilt or refused',
  'test/report/browser.test.ts': 'a fixture report in Chromium',
  'test/report/cli.test.ts': 'report and compare over fixture runs',
  'test/report/time-scaled-slos.test.ts': 'which thresholds are judged (exit 0 or 99 both fine)',
  'test/safety/auth.test.ts': 'the stand-in refuses unauthorised reads',
  'test/safety/caps.test.ts': 'rate and duration caps: refusals, an upper bound on requests',
  'test/safety/guard.test.ts': 'production targets refused before sending',
  'test/safety/secrets.test.ts': 'secret headers written nowhere',
  'test/web/report-controls.test.ts': 'a rebuilt fixture run keeps its control changes',
  'test/web/server.test.ts': 'the live page server with a fake controller: status codes and events',
}
