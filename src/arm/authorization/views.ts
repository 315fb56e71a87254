// The RBAC engine's views shaped into Microsoft.Authorization's JSON (reference §4), field by
// field. Role definition ids are shown as seen from the scope asked at (under its subscription,
// or the tenant form at the root), as ARM does for built-ins.
import type {
  DenyAssignmentView,
  RoleAssignmentView,
  RoleDefinitionView,
} from '../../authz/index.js'
import { roleDefinitionResourceId } from '../../domain/rbac/role-ids.js'
import type { DenyPrincipal, Permission } from '../../domain/rbac/types.js'
import { parseScope, type Scope } from '../../domain/resource-id.js'
import { AUTHORIZATION, authorizationId } from './target.js'

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString())

export function permissionJson(p: Permission) {
  return {
    actions: [...p.actions],
    notActions: [...p.notActions],
    dataActions: [...p.dataActions],
    notDataActions: [...p.notDataActions],
    ...(p.condition
      ? { condition: p.condition, conditionVersion: p.conditionVersion ?? '2.0' }
      : {}),
  }
}

export function roleDefinitionJson(at: Scope, d: RoleDefinitionView) {
  return {
    id: roleDefinitionResourceId(at, d.id),
    name: d.id,
    type: `${AUTHORIZATION}/roleDefinitions`,
    properties: {
      roleName: d.roleName,
      type: d.type,
      description: d.description,
      assignableScopes: [...d.assignableScopes],
      permissions: d.permissions.map(permissionJson),
      ...(d.createdOn === undefined ? {} : { createdOn: iso(d.createdOn) }),
      ...(d.updatedOn === undefined ? {} : { updatedOn: iso(d.updatedOn) }),
    },
  }
}

export function roleAssignmentJson(a: RoleAssignmentView) {
  const scope = parseScope(a.scope)
  return {
    id: authorizationId(scope, 'roleAssignments', a.name),
    name: a.name,
    type: `${AUTHORIZATION}/roleAssignments`,
    properties: {
      roleDefinitionId: roleDefinitionResourceId(scope, a.roleDefinitionId),
      principalId: a.principalId,
      principalType: a.principalType,
      scope: scope.id,
      description: a.description,
      condition: a.condition,
      conditionVersion: a.conditionVersion,
      createdOn: iso(a.createdOn),
      updatedOn: iso(a.updatedOn),
      createdBy: a.createdBy,
      // Keyless records who created an assignment, not who last changed it.
      updatedBy: a.updatedOn === a.createdOn ? a.createdBy : null,
      delegatedManagedIdentityResourceId: null,
    },
  }
}

const principalJson = (p: DenyPrincipal) => ({ id: p.id, type: p.type })

export function denyAssignmentJson(d: DenyAssignmentView) {
  const scope = parseScope(d.scope)
  return {
    id: authorizationId(scope, 'denyAssignments', d.id),
    name: d.id,
    type: `${AUTHORIZATION}/denyAssignments`,
    properties: {
      denyAssignmentName: d.name,
      description: d.description,
      permissions: d.permissions.map(permissionJson),
      scope: scope.id,
      doNotApplyToChildScopes: d.doNotApplyToChildScopes,
      principals: d.principals.map(principalJson),
      excludePrincipals: d.excludePrincipals.map(principalJson),
      isSystemProtected: d.isSystemProtected,
      createdOn: iso(d.createdOn),
      updatedOn: iso(d.createdOn),
    },
  }
}
