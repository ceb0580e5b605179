/** Plain-text tables for the terminal: right-aligned numbers, left-aligned text. */
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
        const pad = ' '.repeat(widths[i]! - visibleLength(cell))
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

/** A number with thousands separators and at most `decimals` decimals: 12020 -> "12,020". */
export function formatNumber(value: number, decimals = 0): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: decimals, minimumFractionDigits: 0 })
}

const useColor = () => process.stdout.isTTY === true && !process.env.NO_COLOR
export const red = (text: string) => (useColor() ? `\u001b[31m${text}\u001b[0m` : text)
export const green = (text: string) => (useColor() ? `\u001b[32m${text}\u001b[0m` : text)
export const bold = (text: string) => (useColor() ? `\u001b[1m${text}\u001b[0m` : text)
