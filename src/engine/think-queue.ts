/** A binary min-heap by intended time: the visits waiting out a think time. */
export class ThinkQueue<T extends { readonly intendedMs: number }> {
  private readonly items: T[] = []
  get size(): number {
    return this.items.length
  }
  /** the earliest intended time; Infinity when empty */
  peekMs(): number {
    return this.items.length > 0 ? this.items[0]!.intendedMs : Number.POSITIVE_INFINITY
  }
  push(item: T): void {
    const items = this.items
    items.push(item)
    let i = items.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (items[parent]!.intendedMs <= item.intendedMs) break
      items[i] = items[parent]!
      i = parent
    }
    items[i] = item
  }
  pop(): T | undefined {
    const items = this.items
    const top = items[0]
    const last = items.pop()
    if (top === undefined || last === undefined || items.length === 0) return top
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= items.length) break
      const r = l + 1
      const c = r < items.length && items[r]!.intendedMs < items[l]!.intendedMs ? r : l
      if (items[c]!.intendedMs >= last.intendedMs) break
      items[i] = items[c]!
      i = c
    }
    items[i] = last
    return top
  }
  /** empties the queue, returning what it held */
  clear(): T[] {
    return this.items.splice(0)
  }
}
