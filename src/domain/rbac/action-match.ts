// Azure permission strings: `{Namespace}/{type path}/{verb}` with `*` wildcards. Matching is
// case-insensitive ("Permission strings are case-insensitive", custom-roles doc) and `*` matches
// any run of characters, `/` included, so `Microsoft.Storage/*/read` covers every read below the
// namespace (reference/arm-rbac-dataplane.md §5.4). A `/*/` also matches a single `/`: Managed
// Identity Operator's `userAssignedIdentities/*/assign/action` must grant
// `userAssignedIdentities/assign/action`, the action ARM checks when attaching an identity.
//
// Patterns come from custom roles, i.e. from users, and run on every uncached access check. They
// are never turned into a RegExp (`a*a*a*a*a*/x` backtracks for hours against a long action):
// the pattern is cut at its stars into literal pieces, the first must be a prefix, the last a
// suffix, and each middle piece is found at its leftmost place after the one before. Leftmost is
// always safe (a piece that fits after a later end also fits after an earlier one), so nothing is
// ever retried, and a match costs one pass over the action per piece.

/** A compiled permission pattern: call it with an action already lower-cased. */
export type ActionMatcher = (lowerAction: string) => boolean

interface Piece {
  literal: string
  /** The star before this piece is the middle of `/*\/`: the piece may reuse the `/` before it. */
  sharesSlash: boolean
}

function pieces(lowerPattern: string): Piece[] {
  const parts = lowerPattern.split('*')
  return parts.map((literal, i) => ({
    literal,
    sharesSlash: i > 0 && literal.startsWith('/') && parts[i - 1]!.endsWith('/'),
  }))
}

function globMatcher(lowerPattern: string): ActionMatcher {
  const all = pieces(lowerPattern)
  const first = all[0]!.literal
  const last = all[all.length - 1]!
  const middle = all.slice(1, -1)
  return (action) => {
    if (!action.startsWith(first)) return false
    let end = first.length
    for (const piece of middle) {
      const from = piece.sharesSlash ? end - 1 : end
      const at = action.indexOf(piece.literal, from)
      if (at < 0) return false
      end = at + piece.literal.length
    }
    const suffixAt = action.length - last.literal.length
    return suffixAt >= (last.sharesSlash ? end - 1 : end) && action.endsWith(last.literal)
  }
}

/**
 * Compiles one pattern. Patterns without `*` compare by equality and a single trailing `*` by
 * prefix; the rest match piece by piece (see above).
 */
export function compileActionPattern(pattern: string): ActionMatcher {
  const lower = pattern.toLowerCase()
  const stars = countWildcards(lower)
  if (stars === 0) return (action) => action === lower
  if (lower === '*') return () => true
  if (stars === 1 && lower.endsWith('*')) {
    const prefix = lower.slice(0, -1)
    return (action) => action.startsWith(prefix)
  }
  return globMatcher(lower)
}

/** How many `*` a permission string holds (Azure allows one per action in custom roles). */
export function countWildcards(pattern: string): number {
  let n = 0
  for (let i = pattern.indexOf('*'); i >= 0; i = pattern.indexOf('*', i + 1)) n++
  return n
}

/** Whether `action` matches `pattern`, both in any casing. Compiles each time: tests and tools. */
export function actionMatches(pattern: string, action: string): boolean {
  return compileActionPattern(pattern)(action.toLowerCase())
}

/** Patterns compiled once, returning the first pattern (original casing) that matches. */
export interface PatternList {
  readonly patterns: readonly string[]
  /** The first matching pattern, or undefined. `lowerAction` must be lower-cased. */
  find(lowerAction: string): string | undefined
}

export function compilePatternList(patterns: readonly string[]): PatternList {
  const matchers = patterns.map(compileActionPattern)
  return {
    patterns,
    find(lowerAction) {
      for (let i = 0; i < matchers.length; i++) {
        if (matchers[i]!(lowerAction)) return patterns[i]
      }
      return undefined
    },
  }
}
