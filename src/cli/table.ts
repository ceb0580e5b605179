/** The terminal's tables and colours: the report room's formatter, coloured when stdout is a TTY. */
import { formatNumber } from '../report/format.js'
import { type Cell, formatTable, paint, visibleLength } from '../report/text-table.js'
import { useColor } from './color.js'

export { type Cell, formatNumber, formatTable, useColor, visibleLength }

const painter = () => paint(useColor())
export const red = (text: string): string => painter().red(text)
export const green = (text: string): string => painter().green(text)
export const bold = (text: string): string => painter().bold(text)
