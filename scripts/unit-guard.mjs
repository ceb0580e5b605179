// Preloaded into every unit test file (scripts/run-tests.mjs): a unit test that listens, connects,
// sends a datagram or starts a process fails at once, with what to do instead. So "unit" stays
// true of the files scripts/test-suites.mjs calls unit, without anyone having to remember it.
import childProcess from 'node:child_process'
import dgram from 'node:dgram'
import { syncBuiltinESMExports } from 'node:module'
import net from 'node:net'
import workerThreads from 'node:worker_threads'

function refuse(what) {
  return () => {
    throw new Error(
      `a unit test ${what}: unit tests (src/**/*.test.ts) open no socket and start no process. ` +
        'List the file in SRC_NOT_UNIT of scripts/test-suites.mjs, or move the test to test/.',
    )
  }
}

net.Server.prototype.listen = refuse('listens on a port')
net.Socket.prototype.connect = refuse('opens a connection')
dgram.Socket.prototype.bind = refuse('binds a UDP socket')
dgram.Socket.prototype.send = refuse('sends a datagram')
for (const name of ['spawn', 'spawnSync', 'fork', 'exec', 'execSync', 'execFile', 'execFileSync'])
  childProcess[name] = refuse('starts a process')
workerThreads.Worker = class {
  constructor() {
    refuse('starts a worker thread')()
  }
}
syncBuiltinESMExports()
