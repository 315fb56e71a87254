// The RBAC model as Azure defines it (reference/arm-rbac-dataplane.md §4, §5): role definitions
// are sets of permission blocks, role assignments bind a principal to a role at a scope, and deny
// assignments take actions away. Ids are lower-case GUIDs here; scopes are keys (lower-case).

/** One permission block. An action is granted by a block if it matches `actions` and not that
 * same block's `notActions` (and likewise for data actions). */
export interface Permission {
  actions: readonly string[]
  notActions: readonly string[]
  dataActions: readonly string[]
  notDataActions: readonly string[]
  /** ABAC condition on the block (deny assignments); never evaluated yet (fails closed). */
  condition?: string | null
  conditionVersion?: string | null
}

export type RoleType = 'BuiltInRole' | 'CustomRole'

export interface RoleDefinition {
  /** The GUID, lower-case. */
  id: string
  roleName: string
  type: RoleType
  description: string
  permissions: readonly Permission[]
  /** Scope ids (`/` for built-ins). */
  assignableScopes: readonly string[]
}

export interface BuiltInRole extends RoleDefinition {
  type: 'BuiltInRole'
}

/** What the evaluator needs of a role assignment. */
export interface RoleAssignmentGrant {
  /** The assignment's name (a GUID). */
  id: string
  /** Scope key or id; compared case-insensitively. */
  scope: string
  principalId: string
  /** The role definition's GUID (a full role definition id is accepted too). */
  roleDefinitionId: string
  /** ABAC v2.0 condition; an assignment with one never grants (not evaluated yet). */
  condition?: string | null
}

export interface DenyPrincipal {
  id: string
  type: string
}

export interface DenyAssignmentRule {
  id: string
  name: string
  /** Scope key or id. */
  scope: string
  permissions: readonly Permission[]
  principals: readonly DenyPrincipal[]
  excludePrincipals: readonly DenyPrincipal[]
  doNotApplyToChildScopes: boolean
}

/** The "Everyone" principal of deny assignments (type `SystemDefined`). */
export const EVERYONE = '00000000-0000-0000-0000-000000000000'

export interface AccessRequest {
  principalId: string
  action: string
  /** Scope key or id of the object acted on. */
  scope: string
  /** True for data actions (`dataActions` / `notDataActions`), false for control-plane actions. */
  isDataAction?: boolean
}
