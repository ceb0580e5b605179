import { ConfigError } from '../errors.js'
import type { JsonTemplate } from '../profile/types.js'

/**
 * `{{var}}` templates, compiled once per step into static parts and variable slots, then filled
 * per request by concatenation (no regex, no JSON.stringify on the hot path). Variables are
 * referred to by index into the visit's value array; the names come from the data source.
 */
export type Encode = (value: string) => string

export class CompiledTemplate {
  constructor(
    /** static text: parts.length === slots.length + 1 */
    readonly parts: readonly string[],
    /** index of the variable that goes after parts[i] */
    readonly slots: readonly number[],
    readonly encode: Encode,
  ) {}

  get isStatic(): boolean {
    return this.slots.length === 0
  }

  render(values: readonly string[]): string {
    const { parts, slots, encode } = this
    let out = parts[0]!
    for (let i = 0; i < slots.length; i++) out += encode(values[slots[i]!]!) + parts[i + 1]!
    return out
  }
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g

/** Compiles text with `{{name}}` placeholders; `where` names the template in errors. */
export function compileTemplate(
  text: string,
  names: readonly string[],
  encode: Encode,
  where: string,
): CompiledTemplate {
  const parts: string[] = []
  const slots: number[] = []
  let last = 0
  for (const match of text.matchAll(PLACEHOLDER)) {
    const index = names.indexOf(match[1]!)
    if (index < 0) {
      throw new ConfigError(
        `${where}: unknown template variable {{${match[1]}}}; known: ${names.map((n) => `{{${n}}}`).join(', ')}`,
      )
    }
    parts.push(text.slice(last, match.index))
    slots.push(index)
    last = match.index + match[0].length
  }
  parts.push(text.slice(last))
  return new CompiledTemplate(parts, slots, encode)
}

const identity: Encode = (value) => value

/** Path and query: values are percent-encoded. */
export const encodePath: Encode = (value) => encodeURIComponent(value)

/** Inside a JSON string: values are escaped as JSON string content. */
export const encodeJson: Encode = (value) => {
  const quoted = JSON.stringify(value)
  return quoted.slice(1, -1)
}

export function compilePathTemplate(path: string, names: readonly string[], where: string): CompiledTemplate {
  return compileTemplate(path, names, encodePath, where)
}

/** A JSON body template: serialized once; placeholders inside its strings become slots. */
export function compileBodyTemplate(
  body: JsonTemplate,
  names: readonly string[],
  where: string,
): CompiledTemplate {
  return compileTemplate(JSON.stringify(body), names, encodeJson, where)
}

export function compileHeaderTemplate(
  value: string,
  names: readonly string[],
  where: string,
): CompiledTemplate {
  return compileTemplate(value, names, identity, where)
}
