/**
 * Plain-text tables for the terminal: right-aligned numbers, left-aligned text, ANSI colours that
 * don't count towards widths. The report's own (report never imports cli/); cli/table.ts can
 * re-export it.
 */
export type Cell = string | number

export interface TableOptions {
  /** columns (by index) aligned left; the others are right-aligned */
  readonly leftColumns?: readonly number[]
}

export function formatTable(
  header: readonly string[],
  rows: readonly (readonly Cell[])[],
  options: TableOptions = {},
): string {
  const left = new Set(options.leftColumns ?? [0])
  const text = [header, ...rows].map((row) => row.map((cell) => String(cell)))
  const widths = header.map((_, i) => Math.max(...text.map((row) => visibleLength(row[i] ?? ''))))
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => {
        const pad = ' '.repeat(Math.max(0, widths[i]! - visibleLength(cell)))
        return left.has(i) ? cell + pad : pad + cell
      })
      .join('  ')
      .trimEnd()
  const rule = widths.map((w) => '-'.repeat(w)).join('  ')
  return [line(text[0]!), rule, ...text.slice(1).map(line)].join('\n')
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes are control characters
const ANSI = /\u001b\[[0-9;]*m/g

export function visibleLength(text: string): number {
  return text.replace(ANSI, '').length
}

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '')
}

/** Colouring that is on or off as the caller decides (a TTY without NO_COLOR, in cli/). */
export interface Paint {
  red(text: string): string
  green(text: string): string
  yellow(text: string): string
  bold(text: string): string
}

const sgr = (code: number) => (text: string) => `\u001b[${code}m${text}\u001b[0m`
const plain = (text: string) => text

export function paint(color: boolean): Paint {
  return color
    ? { red: sgr(31), green: sgr(32), yellow: sgr(33), bold: sgr(1) }
    : { red: plain, green: plain, yellow: plain, bold: plain }
}
