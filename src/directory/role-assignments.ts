// No orphaned access (docs/architecture.md, "Where each rule lives"): when a principal or a scope is deleted, its
// role assignments (and the deny assignments at or below the scope) go in the same transaction,
// each with an event so that every RBAC index drops it. Azure leaves "Identity not found"
// assignments behind; Keyless does not.
import { RBAC_EVENTS, roleAssignmentEventData } from '../domain/rbac/events.js'
import { recordChange } from './events.js'
import type { ChangeContext } from './change-context.js'

type Ctx = Pick<ChangeContext, 'tx' | 'now'>

export async function deleteRoleAssignmentsOf({ tx, now }: Ctx, principalId: string) {
  for (const a of await tx.roleAssignments.deleteByPrincipal(principalId)) {
    await recordChange(tx, now, RBAC_EVENTS.roleAssignmentDeleted, a.name, {
      ...roleAssignmentEventData(a),
    })
  }
}

export async function deleteRoleAssignmentsAtOrBelow({ tx, now }: Ctx, scopeKey: string) {
  for (const a of await tx.roleAssignments.deleteAtOrBelow(scopeKey)) {
    await recordChange(tx, now, RBAC_EVENTS.roleAssignmentDeleted, a.name, {
      ...roleAssignmentEventData(a),
    })
  }
  for (const d of await tx.denyAssignments.deleteAtOrBelow(scopeKey)) {
    await recordChange(tx, now, RBAC_EVENTS.denyAssignmentDeleted, d.id, { scope: d.scope })
  }
}
