// The Azure action and scope every control-plane operation needs, in one table: the RBAC engine
// plugs in at authorize.ts and decides on exactly these. Actions follow ARM's convention
// `{Ns}/{type path}/read|write|delete` (reference §5.7); attaching a user-assigned identity also
// needs `.../assign/action` on the identity (reference §3.1, "Managed Identity Operator").
import { parseResourceId } from '../domain/resource-id.js'
import { lookupResourceType, USER_ASSIGNED_IDENTITIES } from '../domain/resource-types.js'
import type { Target } from './target.js'

export interface AccessCheck {
  action: string
  scope: string
}

export interface RequiredAccess {
  /** The operation itself, on the addressed scope. */
  primary: AccessCheck
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

/** Catalog casing for types Keyless serves, else as requested. */
const typeName = (type: string) => lookupResourceType(type)?.type ?? type

const PRIMARY: {
  [K in Target['kind']]: (t: Extract<Target, { kind: K }>, verb: string) => AccessCheck
} = {
  subscriptions: () => ({ action: `${SUBSCRIPTIONS}/read`, scope: '/' }),
  subscription: (t) => ({
    action: `${SUBSCRIPTIONS}/read`,
    scope: `/subscriptions/${t.subscriptionId}`,
  }),
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

export function requiredAccess(target: Target, method: string, body?: unknown): RequiredAccess {
  const verb = VERB[method] ?? 'read'
  const primary = (PRIMARY[target.kind] as (t: Target, v: string) => AccessCheck)(target, verb)
  const writesResource = target.kind === 'resource' && (method === 'PUT' || method === 'PATCH')
  const linked = writesResource
    ? attachedIdentities(body).map((scope) => ({ action: ASSIGN_IDENTITY, scope }))
    : []
  return { primary, linked }
}
