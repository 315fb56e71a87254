// The human-readable form of an RBAC decision, as the checkAccess API returns it beside the
// structured one: the chain principal → assignment → role → matching permission → scope, or
// the deny assignment that overrode it, or why no assignment granted the action.
import type { AccessDecision } from '../../domain/rbac/evaluate.js'

export interface ExplainedCheck {
  principalId: string
  action: string
  scope: string
}

export function explanationOf(check: ExplainedCheck, d: AccessDecision): string {
  const who = `principal ${check.principalId}`
  if (d.allowed) {
    const g = d.grant
    return `${who} → role assignment ${g.assignmentId} at scope '${g.scope}' → role '${g.roleName}' (${g.roleDefinitionId}) → permission '${g.permission}' matches '${check.action}' → allowed at scope '${check.scope}'`
  }
  if (d.decision === 'denied') {
    const x = d.deny
    const overrode = d.grant
      ? ` (overriding role assignment ${d.grant.assignmentId}: role '${d.grant.roleName}' grants '${d.grant.permission}')`
      : ''
    return `${who} → deny assignment '${x.denyAssignmentName}' (${x.denyAssignmentId}) at scope '${x.scope}' → permission '${x.permission}' denies '${check.action}' → denied at scope '${check.scope}'${overrode}`
  }
  if (d.considered.length === 0) {
    return `${who} → no role assignment at or above scope '${check.scope}' → '${check.action}' not allowed`
  }
  const tried = d.considered
    .map(
      (c) =>
        `role assignment ${c.assignmentId} at scope '${c.scope}' → role '${c.roleName ?? c.roleDefinitionId}': ${c.reason}`,
    )
    .join('; ')
  return `${who} → ${tried} → '${check.action}' not allowed at scope '${check.scope}'`
}
