// What `role` and `access` share: Microsoft.Authorization paths (reference/arm-rbac-dataplane.md
// §4), `--scope` checked before anything is sent, and a role named by display name, GUID or
// full id resolved as `az role assignment create --role` does (a name through the list API).
import { parseScope } from '../../domain/resource-id.js'
import { isGuid } from '../../domain/rbac/role-ids.js'
import type { Context } from '../command.js'
import type { Column } from '../output.js'
import { subscriptionPath } from '../arm-paths.js'
import { CliError, EXIT, usageError } from '../errors.js'

export const AUTHORIZATION_API_VERSION = '2022-04-01'
const apiVersion = AUTHORIZATION_API_VERSION

export interface RoleDefinition {
  id: string
  name: string
  type?: string
  properties: {
    roleName: string
    type?: string
    description?: string
    assignableScopes?: string[]
    permissions?: Record<string, string[] | undefined>[]
  }
}

export interface RoleAssignment {
  id: string
  name: string
  type?: string
  properties: {
    roleDefinitionId: string
    principalId: string
    principalType?: string
    scope: string
    description?: string | null
    condition?: string | null
  }
}

export const roleDefinitionColumns: Column<RoleDefinition>[] = [
  { header: 'RoleName', value: (r) => r.properties.roleName },
  { header: 'Type', value: (r) => r.properties.type ?? 'CustomRole' },
  { header: 'Name', value: (r) => r.name },
  { header: 'AssignableScopes', value: (r) => r.properties.assignableScopes },
]

/** `--scope`, checked and normalized; a malformed scope is a usage error (exit 2). */
export function scopeArg(raw: string): string {
  try {
    return parseScope(raw).id
  } catch (err) {
    throw usageError(`${err instanceof Error ? err.message : String(err)}`)
  }
}

export const scopeOrSubscription = (ctx: Context, raw: string | undefined) =>
  raw === undefined ? subscriptionPath(ctx.subscriptionId) : scopeArg(raw)

/** A normalized scope id as a request path, each segment percent-encoded (`/` is ''). */
export function encodeScope(scope: string): string {
  const { segments } = parseScope(scope)
  return segments.map((s) => `/${encodeURIComponent(s)}`).join('')
}

export const roleDefinitionsPath = (scope: string) =>
  `${encodeScope(scope)}/providers/Microsoft.Authorization/roleDefinitions`

export const roleAssignmentsPath = (scope: string) =>
  `${encodeScope(scope)}/providers/Microsoft.Authorization/roleAssignments`

const ROLE_DEFINITION_ID = /^(.*)\/providers\/Microsoft\.Authorization\/roleDefinitions\/([^/]+)$/i
const ROLE_ASSIGNMENT_ID = /^(.*)\/providers\/Microsoft\.Authorization\/roleAssignments\/([^/]+)$/i

/** The request path of a full role assignment id, or a usage error. */
export function roleAssignmentPath(id: string): string {
  const m = ROLE_ASSIGNMENT_ID.exec(id)
  if (!m || !isGuid(m[2])) {
    throw usageError(
      `'${id}' is not a role assignment id: '{scope}/providers/Microsoft.Authorization/roleAssignments/{guid}'`,
    )
  }
  return `${roleAssignmentsPath(m[1] || '/')}/${m[2]}`
}

/** OData string literal: a quote is doubled. */
export const odataString = (s: string) => `'${s.replace(/'/g, "''")}'`

/** Trailing GUID of a role definition id, lower-cased (how assignments are matched to roles). */
export const roleGuidOf = (id: string) => id.slice(id.lastIndexOf('/') + 1).toLowerCase()

export function listRoleDefinitions(ctx: Context, scope: string, filter: string[]) {
  return ctx.client.list<RoleDefinition>(roleDefinitionsPath(scope), {
    apiVersion,
    query: filter.length > 0 ? { $filter: filter.join(' and ') } : {},
  })
}

/**
 * A role by full id, GUID or name (as seen from `scope`): 3 `RoleDefinitionDoesNotExist` if none,
 * 1 if a name is ambiguous.
 */
export async function resolveRole(ctx: Context, role: string, scope: string) {
  const byId = ROLE_DEFINITION_ID.exec(role)
  if (byId || isGuid(role)) {
    const guid = byId ? byId[2]! : role
    const at = byId ? byId[1] || '/' : subscriptionPath(ctx.subscriptionId)
    if (!isGuid(guid)) throw usageError(`'${role}' is not a role definition id`)
    return ctx.client.request<RoleDefinition>(
      'GET',
      `${roleDefinitionsPath(scopeArg(at))}/${guid}`,
      { apiVersion },
    )
  }
  const found = await listRoleDefinitions(ctx, scope, [`roleName eq ${odataString(role)}`])
  if (found.length === 0) {
    throw new CliError(
      EXIT.notFound,
      `role '${role}' does not exist at scope '${scope}' (see \`keyless role definition list\`)`,
      'RoleDefinitionDoesNotExist',
    )
  }
  if (found.length > 1) {
    throw new CliError(
      EXIT.apiError,
      `more than one role is named '${role}': name one by GUID (${found.map((r) => r.name).join(', ')})`,
      'AmbiguousRoleName',
    )
  }
  return found[0]!
}

/** GUID → role name of the roles visible at and below the subscription, for tables. */
export async function roleNames(ctx: Context): Promise<Map<string, string>> {
  const scope = subscriptionPath(ctx.subscriptionId)
  const roles = await listRoleDefinitions(ctx, scope, ['atScopeAndBelow()']).catch(() => [])
  return new Map(roles.map((r) => [r.name.toLowerCase(), r.properties.roleName]))
}

/** The same scope, any casing or `//`. */
export function sameScope(a: string, b: string): boolean {
  try {
    return parseScope(a).key === parseScope(b).key
  } catch {
    return a.toLowerCase() === b.toLowerCase()
  }
}
