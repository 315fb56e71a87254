// What the RBAC index keeps of each assignment besides its (scope, role) pair: columns of typed
// arrays, one slot per assignment, so a million cost a few dozen bytes each instead of an object
// with strings apiece. Names are GUIDs: four 32-bit words each, found again through an
// open-addressing hash table. The rare name that is not a GUID, and conditions, sit in maps.
// Deleted slots are reused.

export const HAS_CONDITION = 1
const USED = 2
const ODD_NAME = 4

function grow<T extends Int32Array | Uint8Array>(a: T, size: number): T {
  const next = new (a.constructor as new (n: number) => T)(size)
  next.set(a)
  return next
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  const lower = c | 0x20
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1
}

export class SlotTable {
  scope = new Int32Array(1024)
  principal = new Int32Array(1024)
  flags = new Uint8Array(1024)
  #words = new Int32Array(4 * 1024)
  /** Packed names to slot + 1 (0 = empty), linear probing, at most half full. */
  #table = new Int32Array(2048)
  #odd = new Map<number, string>()
  #oddSlots = new Map<string, number>()
  #conditions = new Map<number, string>()
  #free: number[] = []
  #next = 0
  size = 0

  /** Packs a GUID into `out` (4 words); false when `name` is not a GUID. */
  static pack(name: string, out: Int32Array): boolean {
    if (name.length !== 36) return false
    let word = 0
    let digits = 0
    for (let i = 0; i < 36; i++) {
      const c = name.charCodeAt(i)
      if (i === 8 || i === 13 || i === 18 || i === 23) {
        if (c !== 0x2d) return false
        continue
      }
      const v = hexDigit(c)
      if (v < 0) return false
      word = (word << 4) | v
      if (++digits % 8 === 0) {
        out[digits / 8 - 1] = word
        word = 0
      }
    }
    return true
  }

  /** Slots ever handed out: iterate `0..end` and skip unused ones. */
  get end(): number {
    return this.#next
  }

  isUsed(slot: number): boolean {
    return (this.flags[slot]! & USED) !== 0
  }

  /** A new slot named `name` (`packed` holds its words when it is a GUID). */
  allocate(name: string, packed: Int32Array | undefined): number {
    const slot = this.#free.pop() ?? this.#next++
    if (slot >= this.flags.length) {
      const n = this.flags.length * 2
      this.scope = grow(this.scope, n)
      this.principal = grow(this.principal, n)
      this.flags = grow(this.flags, n)
      this.#words = grow(this.#words, 4 * n)
    }
    this.flags[slot] = USED
    this.size++
    if (!packed) {
      const lower = name.toLowerCase()
      this.flags[slot]! |= ODD_NAME
      this.#odd.set(slot, lower)
      this.#oddSlots.set(lower, slot)
      return slot
    }
    const w = this.#words
    w[4 * slot] = packed[0]!
    w[4 * slot + 1] = packed[1]!
    w[4 * slot + 2] = packed[2]!
    w[4 * slot + 3] = packed[3]!
    if (2 * this.size > this.#table.length) this.#rehash(2 * this.#table.length)
    const mask = this.#table.length - 1
    let i = this.#home(4 * slot)
    while (this.#table[i] !== 0) i = (i + 1) & mask
    this.#table[i] = slot + 1
    return slot
  }

  release(slot: number): void {
    if (this.flags[slot]! & ODD_NAME) this.#oddSlots.delete(this.#odd.get(slot)!)
    else this.#unlink(slot)
    this.flags[slot] = 0
    this.#odd.delete(slot)
    this.#conditions.delete(slot)
    this.#free.push(slot)
    this.size--
  }

  /** The slot named `name` (`packed` when a GUID), or -1. */
  find(name: string, packed: Int32Array | undefined): number {
    if (!packed) return this.#oddSlots.get(name.toLowerCase()) ?? -1
    const w = this.#words
    const mask = this.#table.length - 1
    for (
      let i = this.#homeOf(packed[0]!, packed[1]!, packed[2]!, packed[3]!);
      ;
      i = (i + 1) & mask
    ) {
      const entry = this.#table[i]!
      if (entry === 0) return -1
      const b = 4 * (entry - 1)
      if (
        w[b] === packed[0] &&
        w[b + 1] === packed[1] &&
        w[b + 2] === packed[2] &&
        w[b + 3] === packed[3]
      ) {
        return entry - 1
      }
    }
  }

  name(slot: number): string {
    if (this.flags[slot]! & ODD_NAME) return this.#odd.get(slot)!
    let hex = ''
    for (let i = 0; i < 4; i++)
      hex += (this.#words[4 * slot + i]! >>> 0).toString(16).padStart(8, '0')
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
  }

  setCondition(slot: number, condition: string | null | undefined): void {
    if (condition) {
      this.flags[slot]! |= HAS_CONDITION
      this.#conditions.set(slot, condition)
    } else {
      this.flags[slot]! &= ~HAS_CONDITION
      this.#conditions.delete(slot)
    }
  }

  condition(slot: number): string | undefined {
    return this.#conditions.get(slot)
  }

  #homeOf(a: number, b: number, c: number, d: number): number {
    const h = Math.imul(a ^ Math.imul(b, 0x9e3779b1) ^ Math.imul(c, 0x85ebca6b) ^ d, 0xc2b2ae35)
    return (h ^ (h >>> 15)) & (this.#table.length - 1)
  }

  #home(base: number): number {
    const w = this.#words
    return this.#homeOf(w[base]!, w[base + 1]!, w[base + 2]!, w[base + 3]!)
  }

  #unlink(slot: number): void {
    const mask = this.#table.length - 1
    let hole = this.#home(4 * slot)
    while (this.#table[hole] !== slot + 1) hole = (hole + 1) & mask
    // Backward-shift deletion keeps every probe sequence unbroken without tombstones.
    this.#table[hole] = 0
    for (let i = (hole + 1) & mask; this.#table[i] !== 0; i = (i + 1) & mask) {
      const home = this.#home(4 * (this.#table[i]! - 1))
      if (((i - home) & mask) >= ((i - hole) & mask)) {
        this.#table[hole] = this.#table[i]!
        this.#table[i] = 0
        hole = i
      }
    }
  }

  #rehash(size: number): void {
    const old = this.#table
    this.#table = new Int32Array(size)
    for (const entry of old) {
      if (entry === 0) continue
      let i = this.#home(4 * (entry - 1))
      while (this.#table[i] !== 0) i = (i + 1) & (size - 1)
      this.#table[i] = entry
    }
  }
}
