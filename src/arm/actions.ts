// The Azure action and scope every control-plane operation needs, in one table: the RBAC engine
// plugs in at authorize.ts and decides on exactly these. Actions follow ARM's convention
// `{Ns}/{type path}/read|write|delete` (reference §5.7); attaching a user-assigned identity also
// needs `.../assign/action` on the identity (reference §3.1, "Managed Identity Operator"), and a
// custom role needs `roleDefinitions/write` on every scope it is made assignable at (as the
// custom-roles doc says for its AssignableScopes).
import { FEDERATED_CREDENTIALS } from '../domain/federated-credential.js'
import { parseResourceId, parseScope } from '../domain/resource-id.js'
import { lookupResourceType, USER_ASSIGNED_IDENTITIES } from '../domain/resource-types.js'
import type { Target } from './target.js'

export interface AccessCheck {
  action: string
  scope: string
}

export interface RequiredAccess {
  /** The operation itself, on the addressed scope. Absent for the one operation that only
   * reads the caller's own grants (`permissions`): any authenticated caller may. */
  primary?: AccessCheck
  /** Actions on other resources the request links to (identities it attaches). */
  linked: AccessCheck[]
}

const VERB: Record<string, string> = {
  GET: 'read',
  HEAD: 'read',
  PUT: 'write',
  PATCH: 'write',
  DELETE: 'delete',
}

const SUBSCRIPTIONS = 'Microsoft.Resources/subscriptions'
const GROUPS = `${SUBSCRIPTIONS}/resourceGroups`
export const ASSIGN_IDENTITY = `${USER_ASSIGNED_IDENTITIES}/assign/action`
const AUTHORIZATION = 'Microsoft.Authorization'
export const ROLE_ASSIGNMENTS = `${AUTHORIZATION}/roleAssignments`
export const ROLE_DEFINITIONS = `${AUTHORIZATION}/roleDefinitions`
export const DENY_ASSIGNMENTS = `${AUTHORIZATION}/denyAssignments`

/** Catalog casing for types Keyless serves, else as requested. */
const typeName = (type: string) => lookupResourceType(type)?.type ?? type

const PRIMARY: {
  [K in Target['kind']]: (t: Extract<Target, { kind: K }>, verb: string) => AccessCheck | undefined
} = {
  // Any signed-in caller; the answer holds what it may see (resources/subscriptions.ts).
  tenants: () => undefined,
  subscriptions: () => undefined,
  subscription: () => undefined,
  resourceGroups: (t) => ({
    action: `${GROUPS}/read`,
    scope: `/subscriptions/${t.subscriptionId}`,
  }),
  resourceGroup: (t, verb) => ({ action: `${GROUPS}/${verb}`, scope: t.id.id }),
  operationResult: (t) => ({
    action: `${SUBSCRIPTIONS}/operationresults/read`,
    scope: `/subscriptions/${t.subscriptionId}`,
  }),
  resources: (t) => ({
    action:
      t.type !== undefined
        ? `${typeName(t.type)}/read`
        : t.resourceGroup !== undefined
          ? `${GROUPS}/resources/read`
          : `${SUBSCRIPTIONS}/resources/read`,
    scope: t.scope,
  }),
  resource: (t, verb) => ({ action: `${typeName(t.id.type!)}/${verb}`, scope: t.id.id }),
  systemIdentity: (t) => ({
    action: 'Microsoft.ManagedIdentity/identities/read',
    scope: t.resource.id,
  }),
  federatedCredentials: (t) => ({ action: `${FEDERATED_CREDENTIALS}/read`, scope: t.identity.id }),
  federatedCredential: (t, verb) => ({
    action: `${FEDERATED_CREDENTIALS}/${verb}`,
    scope: `${t.identity.id}/federatedIdentityCredentials/${t.name}`,
  }),
  roleDefinitions: (t) => ({ action: `${ROLE_DEFINITIONS}/read`, scope: t.scope.id }),
  roleDefinition: (t, verb) => ({ action: `${ROLE_DEFINITIONS}/${verb}`, scope: t.scope.id }),
  roleAssignments: (t) => ({ action: `${ROLE_ASSIGNMENTS}/read`, scope: t.scope.id }),
  roleAssignment: (t, verb) => ({ action: `${ROLE_ASSIGNMENTS}/${verb}`, scope: t.scope.id }),
  denyAssignments: (t) => ({ action: `${DENY_ASSIGNMENTS}/read`, scope: t.scope.id }),
  denyAssignment: (t, verb) => ({ action: `${DENY_ASSIGNMENTS}/${verb}`, scope: t.scope.id }),
  // Azure lets any signed-in caller ask what it may do itself (the portal does so for everyone);
  // the answer holds only the caller's own grants, so no action is checked.
  permissions: () => undefined,
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** Identities a PUT or PATCH body attaches (`{}` values); malformed keys are left to the
 * directory, which rejects them with `LinkedInvalidPropertyId`. */
function attachedIdentities(body: unknown): string[] {
  if (!isObject(body)) return []
  const identity = Object.entries(body).find(([k]) => k.toLowerCase() === 'identity')?.[1]
  if (!isObject(identity)) return []
  const map = Object.entries(identity).find(([k]) => k.toLowerCase() === 'userassignedidentities')
  if (!map || !isObject(map[1])) return []
  const out: string[] = []
  for (const [key, value] of Object.entries(map[1])) {
    if (value === null) continue
    try {
      out.push(parseResourceId(key).id)
    } catch {
      // rejected later, with the directory's error
    }
  }
  return out
}

/** The other scopes a custom role PUT makes the role assignable at. */
function assignableScopes(body: unknown, at: string): string[] {
  const properties = isObject(body) ? body.properties : undefined
  const scopes = isObject(properties) ? properties.assignableScopes : undefined
  if (!Array.isArray(scopes)) return []
  const out = new Map<string, string>()
  for (const raw of scopes) {
    try {
      const scope = parseScope(String(raw))
      if (scope.key !== at.toLowerCase()) out.set(scope.key, scope.id)
    } catch {
      // rejected later, with the role definition's validation error
    }
  }
  return [...out.values()]
}

function linkedAccess(target: Target, method: string, body: unknown): AccessCheck[] {
  if (method !== 'PUT' && method !== 'PATCH') return []
  if (target.kind === 'resource') {
    return attachedIdentities(body).map((scope) => ({ action: ASSIGN_IDENTITY, scope }))
  }
  if (target.kind === 'roleDefinition') {
    const action = `${ROLE_DEFINITIONS}/write`
    return assignableScopes(body, target.scope.id).map((scope) => ({ action, scope }))
  }
  return []
}

export function requiredAccess(target: Target, method: string, body?: unknown): RequiredAccess {
  const verb = VERB[method] ?? 'read'
  const check = PRIMARY[target.kind] as (t: Target, v: string) => AccessCheck | undefined
  const primary = check(target, verb)
  const linked = linkedAccess(target, method, body)
  return primary ? { primary, linked } : { linked }
}
