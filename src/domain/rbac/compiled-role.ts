// Role definitions compiled once for evaluation: every pattern becomes a matcher, and a decision
// carries the permission string that granted it or the reason nothing did, for `explain`.
import { compilePatternList, type PatternList } from './action-match.js'
import type { DenyAssignmentRule, Permission, RoleDefinition } from './types.js'

export type RoleDecision =
  { granted: true; permission: string } | { granted: false; reason: string }

interface CompiledBlock {
  actions: PatternList
  notActions: PatternList
  dataActions: PatternList
  notDataActions: PatternList
}

function compileBlock(p: Permission): CompiledBlock {
  return {
    actions: compilePatternList(p.actions),
    notActions: compilePatternList(p.notActions),
    dataActions: compilePatternList(p.dataActions),
    notDataActions: compilePatternList(p.notDataActions),
  }
}

const quoted = (xs: readonly string[], max = 3): string => {
  const shown = xs.slice(0, max).map((x) => `'${x}'`)
  return xs.length > max ? `${shown.join(', ')} and ${xs.length - max} more` : shown.join(', ')
}

export interface CompiledRole {
  readonly definition: RoleDefinition
  /** Whether the role grants `action` (any casing) on the given plane, and why. */
  decide(action: string, isDataAction: boolean): RoleDecision
}

export function compileRole(definition: RoleDefinition): CompiledRole {
  const blocks = definition.permissions.map(compileBlock)
  const name = definition.roleName
  return {
    definition,
    decide(action, isDataAction) {
      const lower = action.toLowerCase()
      let excluded: string | undefined
      for (const b of blocks) {
        const granted = (isDataAction ? b.dataActions : b.actions).find(lower)
        if (granted === undefined) continue
        // notActions subtract within their own block only: never a deny (reference §5.2).
        const removed = (isDataAction ? b.notDataActions : b.notActions).find(lower)
        if (removed === undefined) return { granted: true, permission: granted }
        excluded ??= `role ${name} grants '${granted}' but excludes '${removed}' (${isDataAction ? 'notDataActions' : 'notActions'})`
      }
      if (excluded) return { granted: false, reason: excluded }
      const all = blocks.flatMap((b) => (isDataAction ? b.dataActions : b.actions).patterns)
      if (all.length === 0) {
        const plane = isDataAction ? 'data actions' : 'control-plane actions'
        return { granted: false, reason: `role ${name} grants no ${plane}` }
      }
      return { granted: false, reason: `role ${name} grants ${quoted(all)} but not '${action}'` }
    },
  }
}

export interface CompiledDeny {
  readonly rule: DenyAssignmentRule
  /** The deny permission string that covers `action`, or undefined. */
  match(action: string, isDataAction: boolean): string | undefined
}

export function compileDeny(rule: DenyAssignmentRule): CompiledDeny {
  // A deny block's condition is not evaluated; failing closed for a deny means applying it.
  const blocks = rule.permissions.map(compileBlock)
  return {
    rule,
    match(action, isDataAction) {
      const lower = action.toLowerCase()
      for (const b of blocks) {
        const hit = (isDataAction ? b.dataActions : b.actions).find(lower)
        if (hit === undefined) continue
        if ((isDataAction ? b.notDataActions : b.notActions).find(lower) === undefined) return hit
      }
      return undefined
    },
  }
}

/** Compiled roles by lower-case GUID. A Map satisfies it. */
export interface RoleCatalog {
  get(roleDefinitionId: string): CompiledRole | undefined
}

export function createRoleCatalog(
  definitions: Iterable<RoleDefinition>,
): Map<string, CompiledRole> {
  const out = new Map<string, CompiledRole>()
  for (const d of definitions) out.set(d.id.toLowerCase(), compileRole(d))
  return out
}
