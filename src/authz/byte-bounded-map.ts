// A cache bounded by the bytes of what it holds, not by its number of entries: its keys come
// from requests (scopes, actions), so any authenticated caller chooses their size, and a bound
// of 65,536 entries is 65,536 × 4 KB scopes and all their ancestors. The oldest entries leave
// first (a Map iterates in insertion order); an entry larger than the whole budget is not kept.

/** The bytes a string of this length may hold in V8 (two-byte form) plus the entry's overhead. */
export const stringBytes = (s: string): number => 2 * s.length + 24

export class ByteBoundedMap<V> {
  readonly #entries = new Map<string, { value: V; bytes: number }>()
  readonly #budget: number
  #bytes = 0

  constructor(budgetBytes: number) {
    if (!(budgetBytes > 0)) throw new TypeError('budgetBytes must be a positive number')
    this.#budget = budgetBytes
  }

  /** The bytes counted for the entries held now; never above the budget. */
  get bytes(): number {
    return this.#bytes
  }

  get size(): number {
    return this.#entries.size
  }

  get(key: string): V | undefined {
    return this.#entries.get(key)?.value
  }

  /** Keeps `value`, counted as `bytes` (its own size: the key's is added here). */
  set(key: string, value: V, bytes: number): void {
    const total = bytes + stringBytes(key)
    this.delete(key)
    if (total > this.#budget) return
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes + total <= this.#budget) break
      this.#entries.delete(oldest)
      this.#bytes -= entry.bytes
    }
    this.#entries.set(key, { value, bytes: total })
    this.#bytes += total
  }

  delete(key: string): void {
    const entry = this.#entries.get(key)
    if (entry === undefined) return
    this.#entries.delete(key)
    this.#bytes -= entry.bytes
  }

  clear(): void {
    this.#entries.clear()
    this.#bytes = 0
  }
}
