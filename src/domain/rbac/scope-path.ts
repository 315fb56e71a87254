// The ancestors of a scope on the hot path of every access check. resource-id.ts's
// scopeAncestors validates with regular expressions per segment (~3 µs); this scans a plain key
// once, without splitting it, and hands anything unusual to scopeAncestors, so the two always
// agree (scope-path.test.ts compares them) and invalid scopes still fail with its errors.
import { foldIdCase } from '../printable-names.js'
import { scopeAncestors } from '../resource-id.js'

const SLASH = 47

// Control characters, space, '#', '%', '?', '\', DEL: never in a plain key.
function isOdd(c: number): boolean {
  return c <= 0x20 || c === 0x23 || c === 0x25 || c === 0x3f || c === 0x5c || c === 0x7f
}

const isLetter = (c: number) => c >= 0x61 && c <= 0x7a
const isDigit = (c: number) => c >= 0x30 && c <= 0x39

/** `[a-z][a-z0-9]*` */
function isTypeSegment(key: string, from: number, to: number): boolean {
  if (!isLetter(key.charCodeAt(from))) return false
  for (let i = from + 1; i < to; i++) {
    const c = key.charCodeAt(i)
    if (!isLetter(c) && !isDigit(c)) return false
  }
  return true
}

/** `[a-z][a-z0-9-]*(\.[a-z0-9-]+)+` */
function isNamespace(key: string, from: number, to: number): boolean {
  if (!isLetter(key.charCodeAt(from))) return false
  let dots = 0
  for (let i = from + 1; i < to; i++) {
    const c = key.charCodeAt(i)
    if (c === 0x2e) {
      if (key.charCodeAt(i - 1) === 0x2e || i === to - 1) return false
      dots++
    } else if (!isLetter(c) && !isDigit(c) && c !== 0x2d) return false
  }
  return dots > 0
}

const equals = (key: string, from: number, to: number, word: string) =>
  to - from === word.length && key.startsWith(word, from)

/** Segment counts at which a scope ends, or undefined when the key needs the careful path. */
function boundaries(key: string, slashes: number[]): number[] | undefined {
  const count = slashes.length
  const start = (j: number) => slashes[j]! + 1
  const end = (j: number) => (j + 1 < count ? slashes[j + 1]! : key.length)
  if (count < 2 || !equals(key, start(0), end(0), 'subscriptions')) return undefined
  const out = [2]
  let i = 2
  if (i < count && equals(key, start(2), end(2), 'resourcegroups')) {
    if (count < 4) return undefined
    out.push(4)
    i = 4
  }
  if (i === count) return out
  if (!equals(key, start(i), end(i), 'providers') || i + 1 >= count) return undefined
  if (!isNamespace(key, start(i + 1), end(i + 1))) return undefined
  i += 2
  if (i === count) return undefined
  while (i < count) {
    if (i + 1 === count || !isTypeSegment(key, start(i), end(i))) return undefined
    if (equals(key, start(i), end(i), 'providers')) return undefined
    if (equals(key, start(i), end(i), 'blobs')) {
      out.push(count)
      return out
    }
    i += 2
    out.push(i)
  }
  return out
}

/** Positions of the slashes of a plain key, or undefined when it is not one. */
function slashesOf(key: string): number[] | undefined {
  if (key.charCodeAt(0) !== SLASH || key.charCodeAt(key.length - 1) === SLASH) return undefined
  const out: number[] = []
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i)
    if (c === SLASH) {
      // empty, '.' and '..' segments go the careful way
      const prev = out.length === 0 ? -2 : out[out.length - 1]!
      if (prev === i - 1) return undefined
      if (
        key.charCodeAt(i - 1) === 0x2e &&
        (prev === i - 2 || (prev === i - 3 && key.charCodeAt(i - 2) === 0x2e))
      )
        return undefined
      out.push(i)
    } else if (isOdd(c)) return undefined
  }
  const last = out[out.length - 1]!
  const tail = key.slice(last + 1)
  return tail === '.' || tail === '..' ? undefined : out
}

/**
 * Keys of the scope itself, then of each enclosing scope up to `/`, like `scopeAncestors`.
 * Accepts a key or an id in any casing; throws BadRequest `InvalidResourceId` when invalid.
 */
export function ancestorKeys(scope: string): string[] {
  const key = foldIdCase(scope)
  if (key === '/') return ['/']
  const slashes = slashesOf(key)
  const cuts = slashes && boundaries(key, slashes)
  if (!cuts) return scopeAncestors(key)
  const out: string[] = []
  for (let j = cuts.length - 1; j >= 0; j--) {
    const n = cuts[j]!
    out.push(n === slashes!.length ? key : key.slice(0, slashes![n]))
  }
  out.push('/')
  return out
}

/** The lower-case key of a scope id or key, validated; the first of its ancestors. */
export function scopeKeyOf(scope: string): string {
  return ancestorKeys(scope)[0]!
}
