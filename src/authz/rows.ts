// Rows of the RBAC tables as the rest of authz sees them: JSON columns parsed, booleans as
// booleans, and the views that operations return (the ARM layer renders them on the wire).
import type {
  DenyAssignmentRule,
  DenyPrincipal,
  Permission,
  RoleDefinition,
} from '../domain/rbac/types.js'
import type { DenyAssignmentRow, RoleAssignmentRow, RoleDefinitionRow } from '../store/schema.js'

export interface RoleDefinitionView extends RoleDefinition {
  /** Custom roles: the scope (key) the definition was created at. */
  scope?: string
  createdOn?: number
  updatedOn?: number
}

export interface RoleAssignmentView {
  /** The assignment's name, a lower-case GUID. */
  name: string
  /** The scope id as created. */
  scope: string
  /** The role definition GUID (render it as a full id with roleDefinitionResourceId). */
  roleDefinitionId: string
  principalId: string
  principalType: string
  description: string | null
  condition: string | null
  conditionVersion: string | null
  createdOn: number
  updatedOn: number
  createdBy: string | null
}

export interface DenyAssignmentView extends DenyAssignmentRule {
  description: string
  isSystemProtected: boolean
  createdOn: number
}

export function roleDefinitionFromRow(row: RoleDefinitionRow): RoleDefinitionView {
  return {
    id: row.id,
    roleName: row.role_name,
    type: 'CustomRole',
    description: row.description,
    permissions: JSON.parse(row.permissions) as Permission[],
    assignableScopes: JSON.parse(row.assignable_scopes) as string[],
    scope: row.scope,
    createdOn: row.created_at,
    updatedOn: row.updated_at,
  }
}

export function roleAssignmentView(row: RoleAssignmentRow): RoleAssignmentView {
  return {
    name: row.name,
    scope: row.scope,
    roleDefinitionId: row.role_definition_id,
    principalId: row.principal_id,
    principalType: row.principal_type,
    description: row.description,
    condition: row.condition,
    conditionVersion: row.condition_version,
    createdOn: row.created_at,
    updatedOn: row.updated_at,
    createdBy: row.created_by,
  }
}

export function denyAssignmentView(row: DenyAssignmentRow): DenyAssignmentView {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    description: row.description,
    permissions: JSON.parse(row.permissions) as Permission[],
    principals: JSON.parse(row.principals) as DenyPrincipal[],
    excludePrincipals: JSON.parse(row.exclude_principals) as DenyPrincipal[],
    doNotApplyToChildScopes: row.do_not_apply_to_child_scopes === 1,
    // Operator-managed deny assignments are not system-protected (Azure's own, e.g. from
    // managed applications, are).
    isSystemProtected: false,
    createdOn: row.created_at,
  }
}
