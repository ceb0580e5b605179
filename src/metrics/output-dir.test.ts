import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { makeOutputDir } from './output-dir.js'

const dir = mkdtempSync(join(tmpdir(), 'output-dir-'))
after(() => rmSync(dir, { recursive: true, force: true }))

test('makes every missing level, and accepts a folder that exists', () => {
  const deep = join(dir, 'a', 'b', 'c')
  makeOutputDir(deep)
  assert.ok(statSync(deep).isDirectory())
  makeOutputDir(deep)
  makeOutputDir(dir)
})

test('a file in the way is ENOTDIR, at once', () => {
  writeFileSync(join(dir, 'file'), 'x')
  assert.throws(() => makeOutputDir(join(dir, 'file', 'run')), { code: 'ENOTDIR' })
})

test('/proc answers with an error at once, where recursive mkdir loops', {
  skip: process.platform !== 'linux',
}, () => {
  const started = Date.now()
  assert.throws(
    () => makeOutputDir('/proc/x/results/run-1'),
    (error: NodeJS.ErrnoException) => {
      assert.ok(
        error.code === 'ENOENT' || error.code === 'EACCES' || error.code === 'EPERM',
        String(error.code),
      )
      assert.match(error.message, /\/proc\/x/)
      return true
    },
  )
  assert.ok(Date.now() - started < 1000)
})
