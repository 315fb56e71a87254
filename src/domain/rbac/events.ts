// The change events of RBAC objects. Writers (authz operations, and the directory when it deletes
// a principal or a scope) append them in the transaction that made the change; the RBAC index of
// every replica applies them. Each event carries what the index needs, so applying one never
// reads the store, and applying it twice changes nothing.
import type { Permission, DenyPrincipal } from './types.js'

export const RBAC_EVENTS = {
  roleAssignmentCreated: 'roleAssignment.created',
  roleAssignmentDeleted: 'roleAssignment.deleted',
  roleDefinitionCreated: 'roleDefinition.created',
  roleDefinitionUpdated: 'roleDefinition.updated',
  roleDefinitionDeleted: 'roleDefinition.deleted',
  denyAssignmentCreated: 'denyAssignment.created',
  denyAssignmentDeleted: 'denyAssignment.deleted',
} as const

/** Subject: the assignment name. */
export interface RoleAssignmentEventData {
  scope: string
  principalId: string
  roleDefinitionId: string
  condition?: string | null
}

/** Subject: the role definition GUID. Data of created/updated; deleted carries `{}`. */
export interface RoleDefinitionEventData {
  roleName: string
  description: string
  permissions: Permission[]
  assignableScopes: string[]
}

/** Subject: the deny assignment id. Data of created; deleted carries `{ scope }`. */
export interface DenyAssignmentEventData {
  name: string
  scope: string
  permissions: Permission[]
  principals: DenyPrincipal[]
  excludePrincipals: DenyPrincipal[]
  doNotApplyToChildScopes: boolean
}

/** The data of a role assignment event, from any row-like shape. */
export function roleAssignmentEventData(a: {
  scope: string
  principal_id: string
  role_definition_id: string
  condition?: string | null
}): RoleAssignmentEventData {
  return {
    scope: a.scope,
    principalId: a.principal_id,
    roleDefinitionId: a.role_definition_id,
    ...(a.condition ? { condition: a.condition } : {}),
  }
}
