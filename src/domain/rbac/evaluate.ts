// Azure's RBAC decision (reference/arm-rbac-dataplane.md §5), written for clarity: the in-memory
// index in authz/ answers the same question faster and defers to this for explanations, and a
// test checks that the two agree on random data.
//
// - An assignment at S applies at S and every scope below it (whole segments, any casing).
// - Grants are a union over the applicable assignments; within one permission block an action is
//   granted if it matches `actions` and not that block's `notActions` (data actions likewise).
// - Control-plane actions and data actions are separate planes.
// - A matching deny assignment overrides every grant, unless the principal is excluded or the
//   deny applies to its own scope only (`doNotApplyToChildScopes`) and the request is below it.
// - ABAC conditions are not evaluated: an assignment with a condition never grants (fails closed).
import { compileDeny, type CompiledDeny, type RoleCatalog } from './compiled-role.js'
import { ancestorKeys } from './scope-path.js'
import {
  EVERYONE,
  type AccessRequest,
  type DenyAssignmentRule,
  type RoleAssignmentGrant,
} from './types.js'

export interface GrantExplanation {
  assignmentId: string
  roleDefinitionId: string
  roleName: string
  /** The permission string of the role that matched the action. */
  permission: string
  /** The assignment's scope (key). */
  scope: string
}

export interface DenyExplanation {
  denyAssignmentId: string
  denyAssignmentName: string
  scope: string
  permission: string
}

export interface ConsideredAssignment {
  assignmentId: string
  roleDefinitionId: string
  roleName?: string
  scope: string
  /** Why this assignment did not grant the action. */
  reason: string
}

export type AccessDecision =
  | { allowed: true; decision: 'allowed'; grant: GrantExplanation; reason: string }
  | {
      allowed: false
      decision: 'denied'
      deny: DenyExplanation
      /** The grant the deny overrode, if any. */
      grant?: GrantExplanation
      reason: string
    }
  | { allowed: false; decision: 'notAllowed'; considered: ConsideredAssignment[]; reason: string }

export const NO_ASSIGNMENT_REASON = 'no role assignment for the principal at or above the scope'

/** The trailing GUID of a role definition id, lower-cased. */
export function roleGuidOf(roleDefinitionId: string): string {
  return roleDefinitionId.slice(roleDefinitionId.lastIndexOf('/') + 1).toLowerCase()
}

export function principalMatches(rule: DenyAssignmentRule, principalId: string): boolean {
  const p = principalId.toLowerCase()
  const listed = (xs: DenyAssignmentRule['principals']) =>
    xs.some((x) => x.id.toLowerCase() === p || x.id === EVERYONE)
  return listed(rule.principals) && !rule.excludePrincipals.some((x) => x.id.toLowerCase() === p)
}

/** Whether a deny reaches a request whose ancestors hold the deny's scope at `depth` (0 = the
 * request's own scope, undefined = not an ancestor). */
export function denyReaches(rule: DenyAssignmentRule, depth: number | undefined): boolean {
  return depth !== undefined && (depth === 0 || !rule.doNotApplyToChildScopes)
}

export function evaluate(
  request: AccessRequest,
  assignments: Iterable<RoleAssignmentGrant>,
  denyAssignments: Iterable<DenyAssignmentRule | CompiledDeny>,
  roles: RoleCatalog,
): AccessDecision {
  const ancestors = ancestorKeys(request.scope)
  const depthOf = new Map(ancestors.map((k, i) => [k, i]))
  const principal = request.principalId.toLowerCase()
  const isData = request.isDataAction === true

  const applicable = [...assignments]
    .filter((a) => a.principalId.toLowerCase() === principal)
    .map((a) => ({ a, depth: depthOf.get(a.scope.toLowerCase()) }))
    .filter((x): x is { a: RoleAssignmentGrant; depth: number } => x.depth !== undefined)
    .sort((x, y) => x.depth - y.depth || (x.a.id < y.a.id ? -1 : x.a.id > y.a.id ? 1 : 0))

  let grant: GrantExplanation | undefined
  const considered: ConsideredAssignment[] = []
  for (const { a } of applicable) {
    const roleDefinitionId = roleGuidOf(a.roleDefinitionId)
    const role = roles.get(roleDefinitionId)
    const base = { assignmentId: a.id, roleDefinitionId, scope: a.scope.toLowerCase() }
    if (!role) {
      considered.push({ ...base, reason: `role definition ${roleDefinitionId} does not exist` })
      continue
    }
    const roleName = role.definition.roleName
    if (a.condition) {
      const reason = `assignment ${a.id} of role ${roleName} has a condition, which Keyless does not evaluate (fails closed)`
      considered.push({ ...base, roleName, reason })
      continue
    }
    const d = role.decide(request.action, isData)
    if (d.granted) {
      grant = { ...base, roleName, permission: d.permission }
      break
    }
    considered.push({ ...base, roleName, reason: d.reason })
  }

  for (const raw of denyAssignments) {
    const deny = 'rule' in raw ? raw : compileDeny(raw)
    const { rule } = deny
    if (!denyReaches(rule, depthOf.get(rule.scope.toLowerCase()))) continue
    if (!principalMatches(rule, principal)) continue
    const permission = deny.match(request.action, isData)
    if (permission === undefined) continue
    const d: DenyExplanation = {
      denyAssignmentId: rule.id,
      denyAssignmentName: rule.name,
      scope: rule.scope.toLowerCase(),
      permission,
    }
    const reason = `deny assignment '${rule.name}' at scope '${d.scope}' denies '${permission}'`
    return grant
      ? { allowed: false, decision: 'denied', deny: d, grant, reason }
      : { allowed: false, decision: 'denied', deny: d, reason }
  }

  if (grant) {
    const reason = `role assignment ${grant.assignmentId} at scope '${grant.scope}': role ${grant.roleName} grants '${grant.permission}'`
    return { allowed: true, decision: 'allowed', grant, reason }
  }
  const reason =
    considered.length === 0
      ? NO_ASSIGNMENT_REASON
      : `no role assignment grants '${request.action}': ${considered.map((c) => c.reason).join('; ')}`
  return { allowed: false, decision: 'notAllowed', considered, reason }
}
