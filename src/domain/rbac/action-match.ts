// Azure permission strings: `{Namespace}/{type path}/{verb}` with `*` wildcards. Matching is
// case-insensitive ("Permission strings are case-insensitive", custom-roles doc) and `*` matches
// any run of characters, `/` included, so `Microsoft.Storage/*/read` covers every read below the
// namespace and several `*` may appear (reference/arm-rbac-dataplane.md §5.4). A `/*/` also
// matches a single `/`: Managed Identity Operator's `userAssignedIdentities/*/assign/action` must
// grant `userAssignedIdentities/assign/action`, the action ARM checks when attaching an identity.

/** A compiled permission pattern: call it with an action already lower-cased. */
export type ActionMatcher = (lowerAction: string) => boolean

const REGEX_SPECIAL = /[.+?^${}()|[\]\\]/g

function toRegExp(lowerPattern: string): RegExp {
  // Split on `/*/` first so that it can become an optional middle, then on the other stars.
  const source = lowerPattern
    .split('/*/')
    .map((part) =>
      part
        .split('*')
        .map((literal) => literal.replace(REGEX_SPECIAL, '\\$&'))
        .join('.*'),
    )
    .join('/(?:.*/)?')
  return new RegExp(`^${source}$`)
}

/**
 * Compiles one pattern. Patterns without `*` compare by equality and a single trailing `*` by
 * prefix; only the rest pay for a RegExp, since this runs on every uncached access check.
 */
export function compileActionPattern(pattern: string): ActionMatcher {
  const lower = pattern.toLowerCase()
  const stars = lower.split('*').length - 1
  if (stars === 0) return (action) => action === lower
  if (lower === '*') return () => true
  if (stars === 1 && lower.endsWith('*')) {
    const prefix = lower.slice(0, -1)
    return (action) => action.startsWith(prefix)
  }
  const re = toRegExp(lower)
  return (action) => re.test(action)
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
