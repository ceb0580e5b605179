import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

/**
 * The house rules of DESIGN.md §2 and STYLE, checked on the sources (src/, test files left out):
 * no import circle, no file over 400 lines, the environment read only at the front door, no
 * per-second pipeline built inside capacity/, and imports that flow one way between the rooms.
 * Each test lists every offender, so one run shows the whole debt.
 */

// dist/src/architecture.test.js -> the repository's src/
const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src')
const MAX_LINES = 400

/**
 * The rooms (a folder of src/, or a file at its top) by layer: a room imports only rooms of a
 * lower layer. Rooms of one layer do not import each other (the engine knows nothing of the
 * stand-in, the report or the check-in API; the stand-in nothing of the engine), except the pairs
 * in SAME_LAYER_ALLOWED. A new room must be given its layer here: the test fails until it is.
 */
const LAYERS: Readonly<Record<string, number>> = {
  // the front doors: argv, env and printing (cli/), the library entry point (index.ts)
  cli: 8,
  'index.ts': 8,
  // orchestration of a command: run, capacity, merge
  commands: 7,
  // a run's load written for another tool (k6)
  export: 7,
  // the capacity search: steps of sessions, judged
  capacity: 6,
  // the session pipeline: engine (or a fleet of workers) -> folded seconds -> series, summary,
  // exporters; run, each capacity step and the warm-up use it
  session: 5,
  // shards: worker processes, their merge, Kubernetes manifests
  cluster: 4,
  // the live page of a run: its server, feed and steering desk (reads report/, steered by commands/)
  web: 4,
  // the engine, the stand-in, measuring, reporting
  engine: 3,
  mock: 3,
  metrics: 3,
  report: 3,
  // settings: config file + flags, the profile they name, and the check-in API's requests as a
  // client (a browser or a script) sends them, which the built-in profile is made of
  config: 2,
  profile: 2,
  checkin: 2,
  // shared domain types and errors: they import nothing of ours
  model: 1,
  'errors.ts': 1,
}

/**
 * Same-layer imports that follow the data: config validates the profile it names (and
 * profile/stages.ts takes its Stage type from config/); the report reads what metrics measured
 * (DESIGN.md §2: engine -> metrics -> report).
 */
const SAME_LAYER_ALLOWED: ReadonlySet<string> = new Set([
  'config -> profile',
  'profile -> config',
  // the built-in profile is made of check-in requests (checkin/requests.ts), sent as a browser
  // sends them (checkin/browser.ts); checkin's builders return the profile's step type
  'profile -> checkin',
  'checkin -> profile',
  'report -> metrics',
])

/** Where the environment may be read (issue 14): cli/ always, cluster/ (a worker's environment). */
const ENV_ROOMS: ReadonlySet<string> = new Set(['cli', 'cluster'])
/** ...and config/ only as process.env[variable]: the value of --header-from-env NAME. */
const ENV_BY_NAME_ROOMS: ReadonlySet<string> = new Set(['config'])

/** The pieces of the per-second pipeline: built by the session pipeline, never in capacity/. */
const PIPELINE_PIECES: ReadonlySet<string> = new Set([
  'Recorder',
  'SeriesWriter',
  'DeferredWork',
  'GeneratorMonitor',
  'RunAccumulator',
])

interface SourceFile {
  /** path under src/, forward slashes */
  readonly path: string
  readonly text: string
  readonly ast: ts.SourceFile
}

interface Import {
  /** the imported file, under src/ */
  readonly target: string
  readonly line: number
  /** erased from the JavaScript: `import type`, or every name imported is a type */
  readonly typeOnly: boolean
}

function sources(): SourceFile[] {
  const found: SourceFile[] = []
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name)
      if (statSync(full).isDirectory()) walk(full)
      else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) {
        const text = readFileSync(full, 'utf8')
        const path = relative(SRC, full).split(sep).join('/')
        found.push({ path, text, ast: ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true) })
      }
    }
  }
  walk(SRC)
  return found
}

const FILES = sources()

const roomOf = (path: string): string => path.split('/')[0]!
const lineOf = (file: SourceFile, node: ts.Node): number =>
  file.ast.getLineAndCharacterOfPosition(node.getStart(file.ast)).line + 1

function visit(node: ts.Node, each: (node: ts.Node) => void): void {
  each(node)
  ts.forEachChild(node, (child) => visit(child, each))
}

/** Whether an import or re-export names types only (TypeScript erases it). */
function typeOnly(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(node)) {
    const clause = node.exportClause
    return (
      node.isTypeOnly ||
      (clause !== undefined && ts.isNamedExports(clause) && clause.elements.every((e) => e.isTypeOnly))
    )
  }
  const clause = node.importClause
  if (clause === undefined) return false // import './x.js': run for its effects
  if (clause.isTypeOnly) return true
  const named = clause.namedBindings
  return (
    clause.name === undefined &&
    named !== undefined &&
    ts.isNamedImports(named) &&
    named.elements.every((e) => e.isTypeOnly)
  )
}

/** Relative imports and re-exports of a file, and its import() calls. */
function importsOf(file: SourceFile): Import[] {
  const found: Import[] = []
  const add = (specifier: ts.Expression | undefined, node: ts.Node, erased: boolean) => {
    if (specifier === undefined || !ts.isStringLiteralLike(specifier) || !specifier.text.startsWith('.'))
      return
    const target = join(dirname(file.path), specifier.text).split(sep).join('/').replace(/\.js$/, '.ts')
    found.push({ target, line: lineOf(file, node), typeOnly: erased })
  }
  visit(file.ast, (node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node))
      add(node.moduleSpecifier, node, typeOnly(node))
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword)
      add(node.arguments[0], node, false)
  })
  return found
}

const IMPORTS = new Map(FILES.map((file) => [file.path, importsOf(file)]))

/**
 * Circles of imports, each as a path that starts and ends at one file (one per back edge found).
 * With `types: false` only the imports that stay in the JavaScript count.
 */
function importCircles({ types }: { types: boolean }): string[][] {
  const known = new Set(FILES.map((f) => f.path))
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const circles: string[][] = []
  const walk = (file: string) => {
    state.set(file, 'open')
    stack.push(file)
    for (const { target, typeOnly } of IMPORTS.get(file) ?? []) {
      if (!known.has(target) || (typeOnly && !types)) continue
      if (state.get(target) === 'open') circles.push([...stack.slice(stack.indexOf(target)), target])
      else if (state.get(target) === undefined) walk(target)
    }
    stack.pop()
    state.set(file, 'done')
  }
  for (const file of [...known].sort()) if (!state.has(file)) walk(file)
  return circles
}

test('no import circle among the files of src/', () => {
  const circles = importCircles({ types: false }).map((circle) => circle.join(' -> '))
  assert.deepEqual(circles, [], `import circles:\n  ${circles.join('\n  ')}`)
})

// A circle through `import type` breaks no module's loading, but still makes two files one idea
// read both ways: the types both sides need go in a file of their own (metrics/exporter-types.ts).
test('no import circle among the files of src/, type imports included', () => {
  const circles = importCircles({ types: true }).map((circle) => circle.join(' -> '))
  assert.deepEqual(circles, [], `import circles through types:\n  ${circles.join('\n  ')}`)
})

test(`no file of src/ (tests aside) over ${MAX_LINES} lines`, () => {
  const long = FILES.map((f) => ({
    path: f.path,
    lines: f.text.split('\n').length - (f.text.endsWith('\n') ? 1 : 0),
  }))
    .filter((f) => f.lines > MAX_LINES)
    .map((f) => `${f.path}: ${f.lines} lines`)
  assert.deepEqual(long, [], `over ${MAX_LINES} lines:\n  ${long.join('\n  ')}`)
})

/** `process.env`, `process['env']` and `import { env } from 'node:process'`, with where they are read. */
function environmentReads(file: SourceFile): { line: number; byName: boolean }[] {
  const reads: { line: number; byName: boolean }[] = []
  visit(file.ast, (node) => {
    const isProcessEnv =
      (ts.isPropertyAccessExpression(node) &&
        ts.isIdentifier(node.expression) &&
        node.expression.text === 'process' &&
        node.name.text === 'env') ||
      (ts.isElementAccessExpression(node) &&
        ts.isIdentifier(node.expression) &&
        node.expression.text === 'process' &&
        ts.isStringLiteralLike(node.argumentExpression) &&
        node.argumentExpression.text === 'env')
    if (isProcessEnv) {
      const parent = node.parent
      // process.env[variable]: a variable the user named, not a switch of ours
      const byName =
        ts.isElementAccessExpression(parent) &&
        parent.expression === node &&
        !ts.isStringLiteralLike(parent.argumentExpression)
      reads.push({ line: lineOf(file, node), byName })
    }
    if (
      ts.isImportDeclaration(node) &&
      ts.isStringLiteralLike(node.moduleSpecifier) &&
      /^(node:)?process$/.test(node.moduleSpecifier.text)
    ) {
      const bindings = node.importClause?.namedBindings
      if (
        bindings &&
        ts.isNamedImports(bindings) &&
        bindings.elements.some((e) => (e.propertyName ?? e.name).text === 'env')
      )
        reads.push({ line: lineOf(file, node), byName: false })
    }
  })
  return reads
}

test('the environment is read only in cli/, cluster/ and (a header named by --header-from-env) config/', () => {
  const outside: string[] = []
  for (const file of FILES) {
    const room = roomOf(file.path)
    if (ENV_ROOMS.has(room)) continue
    for (const read of environmentReads(file))
      if (!(ENV_BY_NAME_ROOMS.has(room) && read.byName)) outside.push(`${file.path}:${read.line}`)
  }
  assert.deepEqual(outside, [], `environment read outside the front door:\n  ${outside.join('\n  ')}`)
})

test('capacity/ builds no per-second pipeline of its own (it uses the session pipeline)', () => {
  const built: string[] = []
  for (const file of FILES.filter((f) => roomOf(f.path) === 'capacity')) {
    visit(file.ast, (node) => {
      if (!ts.isNewExpression(node)) return
      const callee = node.expression
      const name = ts.isIdentifier(callee)
        ? callee.text
        : ts.isPropertyAccessExpression(callee)
          ? callee.name.text
          : undefined
      if (name !== undefined && PIPELINE_PIECES.has(name))
        built.push(`${file.path}:${lineOf(file, node)} new ${name}`)
    })
  }
  assert.deepEqual(built, [], `per-second pipeline pieces built in capacity/:\n  ${built.join('\n  ')}`)
})

test('every room of src/ has its layer', () => {
  const rooms = [...new Set(FILES.map((f) => roomOf(f.path)))].sort()
  const missing = rooms.filter((room) => LAYERS[room] === undefined)
  assert.deepEqual(missing, [], `rooms without a layer in src/architecture.test.ts: ${missing.join(', ')}`)
})

test('imports flow one way: cli -> commands -> capacity -> session -> cluster -> engine/mock/metrics/report -> config/profile -> model', () => {
  const against: string[] = []
  for (const file of FILES) {
    const from = roomOf(file.path)
    for (const { target, line } of IMPORTS.get(file.path) ?? []) {
      const to = roomOf(target)
      if (to === from || LAYERS[from] === undefined || LAYERS[to] === undefined) continue
      const down = LAYERS[from]! > LAYERS[to]!
      const allowed = LAYERS[from] === LAYERS[to] && SAME_LAYER_ALLOWED.has(`${from} -> ${to}`)
      if (!down && !allowed) against.push(`${file.path}:${line} imports ${target} (${from} -> ${to})`)
    }
  }
  assert.deepEqual(against, [], `imports against the flow:\n  ${against.join('\n  ')}`)
})
