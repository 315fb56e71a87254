// Applies one change event to the RBAC index. Events carry everything the index needs
// (domain/rbac/events.ts), so this never reads the store; each is idempotent, so replaying a
// stretch of the log that the index has already seen changes nothing.
import {
  RBAC_EVENTS,
  type DenyAssignmentEventData,
  type RoleAssignmentEventData,
  type RoleDefinitionEventData,
} from '../domain/rbac/events.js'
import type { AssignmentIndex } from './assignment-index.js'

export interface ChangeEvent {
  kind: string
  subject: string
  /** JSON text as stored, or already parsed (directory/change-feed.ts delivers it parsed). */
  data: string | Record<string, unknown>
}

/** Kinds that change the index; every other event is ignored. */
export const ROLE_ASSIGNMENT_UPDATED = 'roleAssignment.updated'

export function applyEvent(index: AssignmentIndex, event: ChangeEvent): boolean {
  const data = (): unknown => (typeof event.data === 'string' ? JSON.parse(event.data) : event.data)
  switch (event.kind) {
    case RBAC_EVENTS.roleAssignmentCreated:
    case ROLE_ASSIGNMENT_UPDATED: {
      const d = data() as RoleAssignmentEventData
      index.add({ name: event.subject, ...d })
      return true
    }
    case RBAC_EVENTS.roleAssignmentDeleted:
      index.remove(event.subject)
      return true
    case RBAC_EVENTS.roleDefinitionCreated:
    case RBAC_EVENTS.roleDefinitionUpdated: {
      const d = data() as RoleDefinitionEventData
      index.setRole({ id: event.subject, type: 'CustomRole', ...d })
      return true
    }
    case RBAC_EVENTS.roleDefinitionDeleted:
      index.deleteRole(event.subject)
      return true
    case RBAC_EVENTS.denyAssignmentCreated: {
      const d = data() as DenyAssignmentEventData
      index.setDeny({ id: event.subject, ...d })
      return true
    }
    case RBAC_EVENTS.denyAssignmentDeleted:
      index.removeDeny(event.subject)
      return true
    // The directory deletes assignments explicitly, with their own events, before these; the
    // index drops anything left as a safety net.
    case 'principal.deleted':
      index.removePrincipal(event.subject)
      return true
    case 'resource.deleted':
    case 'resourceGroup.deleted':
      index.removeAtOrBelow(event.subject)
      return true
    default:
      return false
  }
}
