/**
 * OliveBranch, as vets-api runs it (config/application.rb, olive_branch's middleware): when a
 * request carries `X-Key-Inflection`, the keys of its JSON body are underscored (`lastName` ->
 * `last_name`) before the controllers read them; when that header says `camel`, the keys of a JSON
 * answer are camelized (`key.underscore.camelize(:lower)`, so `appointmentIEN` -> `appointmentIen`).
 * Without the header nothing is converted: a camelCase body reaches the controller as it is, and
 * `params.require(:session).permit(:last_name, ...)` finds no `last_name` (a 400).
 * Query strings are never converted (the controllers read `params[:checkInType]` as sent).
 */
export const INFLECTION_HEADER = 'x-key-inflection'

/** ActiveSupport's String#underscore for the keys a JSON body has (no `::`, no acronyms). */
export function underscore(key: string): string {
  return key
    .replace(/([A-Z\d]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/([a-z\d])([A-Z])/g, '$1_$2')
    .replaceAll('-', '_')
    .toLowerCase()
}

/** OliveBranch's camelize: `underscore.camelize(:lower)`. */
export function camelize(key: string): string {
  const snake = underscore(key)
  return snake.replace(/_([a-z\d]*)/g, (_, word: string) =>
    word.length === 0 ? '' : word[0]!.toUpperCase() + word.slice(1),
  )
}

/** The value with every object key underscored, deeply (a new value; the input is not changed). */
export function underscoreKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(underscoreKeys)
  if (typeof value !== 'object' || value === null) return value
  const out: Record<string, unknown> = {}
  for (const [key, inner] of Object.entries(value)) {
    // a key that maps onto __proto__ stays an own property (never the prototype)
    Object.defineProperty(out, underscore(key), {
      value: underscoreKeys(inner),
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
  return out
}

const CAMEL_KEYS = new Map<string, string>()
const MAX_CACHED_KEYS = 4096

function camelKey(key: string): string {
  let camel = CAMEL_KEYS.get(key)
  if (camel === undefined) {
    camel = camelize(key)
    if (CAMEL_KEYS.size < MAX_CACHED_KEYS) CAMEL_KEYS.set(key, camel)
  }
  return camel
}

/**
 * A serialized JSON answer with its keys camelized. Works on the text: a key is `"word":`, and a
 * quote inside a JSON string is always escaped, so no string value can look like a key. The
 * stand-in's bodies are pre-serialized; parsing them again per request would cost more.
 */
export function camelizeJsonKeys(json: string): string {
  return json.replace(/"([A-Za-z0-9_]+)":/g, (whole, key: string) => {
    const camel = camelKey(key)
    return camel === key ? whole : `"${camel}":`
  })
}
