// Strings to small integers and back, with reference counts so that numbers of strings no longer
// used (a deleted scope, a principal without assignments) are reused.
export class Interner {
  readonly #ids = new Map<string, number>()
  #keys: (string | undefined)[] = []
  #refs = new Int32Array(1024)
  readonly #free: number[] = []

  lookup(key: string): number | undefined {
    return this.#ids.get(key)
  }

  /** The number of `key`, adding a reference. */
  intern(key: string): number {
    let id = this.#ids.get(key)
    if (id === undefined) {
      id = this.#free.pop() ?? this.#keys.length
      this.#ids.set(key, id)
      this.#keys[id] = key
      if (id >= this.#refs.length) {
        const next = new Int32Array(this.#refs.length * 2)
        next.set(this.#refs)
        this.#refs = next
      }
    }
    this.#refs[id]!++
    return id
  }

  /** Drops a reference; true when it was the last and the number is free again. */
  release(id: number): boolean {
    if (--this.#refs[id]! > 0) return false
    this.#ids.delete(this.#keys[id]!)
    this.#keys[id] = undefined
    this.#free.push(id)
    return true
  }

  /** Adds a reference to a number already handed out. */
  ref(id: number): void {
    this.#refs[id]!++
  }

  refs(id: number): number {
    return this.#refs[id]!
  }

  key(id: number): string {
    return this.#keys[id]!
  }

  all(): IterableIterator<number> {
    return this.#ids.values()
  }
}
