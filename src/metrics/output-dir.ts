import { mkdirSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'

/**
 * Creates a results folder and the folders above it, one level at a time. Node's
 * `mkdirSync(path, { recursive: true })` loops for ever under a pseudo filesystem: in /proc,
 * mkdir of a missing child answers ENOENT although its parent exists, and Node then "creates the
 * parent" (EEXIST) and retries the child, again and again. Going down from the deepest folder
 * that exists makes every error final: the first level that cannot be made is the answer.
 * Throws the error of that level (with its path), or ENOTDIR when a file stands in the way.
 */
export function makeOutputDir(path: string): void {
  const missing: string[] = []
  let current = resolve(path)
  for (;;) {
    const kind = kindOf(current)
    if (kind === 'dir') break
    if (kind === 'other') {
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${current}'`), {
        code: 'ENOTDIR',
        path: current,
      })
    }
    missing.push(current)
    const parent = dirname(current)
    if (parent === current) break
    current = parent
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir)
    } catch (error) {
      // another process made it meanwhile (two shards, one --out): that is what was wanted
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || kindOf(dir) !== 'dir') throw error
    }
  }
}

function kindOf(path: string): 'dir' | 'other' | 'missing' {
  try {
    return statSync(path).isDirectory() ? 'dir' : 'other'
  } catch {
    return 'missing'
  }
}
