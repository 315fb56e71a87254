// Directory views shaped into ARM's JSON (reference §2, §3). Every response body is built here
// field by field, so nothing the directory keeps for itself (hosts, timestamps) leaks out.
import type {
  IdentityView,
  ResourceGroupView,
  ResourceView,
  SubscriptionView,
} from '../directory/views.js'
import { SELECTORS_PROPERTY } from '../domain/process-selectors.js'
import { includesSystemAssigned, includesUserAssigned } from '../domain/identity-spec.js'
import { parseResourceId } from '../domain/resource-id.js'
import {
  canonicalizeResourceId,
  lookupResourceType,
  USER_ASSIGNED_IDENTITIES,
} from '../domain/resource-types.js'

export const SYSTEM_IDENTITY_TYPE = 'Microsoft.ManagedIdentity/identities'
const UAMI_KEY = USER_ASSIGNED_IDENTITIES.toLowerCase()

export function subscriptionJson(s: SubscriptionView) {
  return {
    id: `/subscriptions/${s.subscriptionId}`,
    subscriptionId: s.subscriptionId,
    tenantId: s.tenantId,
    displayName: s.displayName,
    state: s.state,
    authorizationSource: 'RoleBased',
  }
}

export function resourceGroupJson(g: ResourceGroupView) {
  return {
    id: g.id,
    name: g.name,
    type: 'Microsoft.Resources/resourceGroups',
    location: g.location,
    ...(g.managedBy ? { managedBy: g.managedBy } : {}),
    tags: { ...g.tags },
    properties: { provisioningState: 'Succeeded' },
  }
}

export function identityJson(i: IdentityView) {
  const out: Record<string, unknown> = { type: i.type }
  if (includesSystemAssigned(i.type)) {
    out.principalId = i.principalId
    out.tenantId = i.tenantId
    if (i.selectors) out[SELECTORS_PROPERTY] = i.selectors
  }
  if (includesUserAssigned(i.type)) {
    const map: Record<string, Record<string, unknown>> = {}
    for (const [id, u] of Object.entries(i.userAssignedIdentities ?? {})) {
      map[id] = { principalId: u.principalId, clientId: u.clientId }
      if (u.selectors) map[id][SELECTORS_PROPERTY] = u.selectors
    }
    out.userAssignedIdentities = map
  }
  return out
}

/** Properties a client may send but never sets: ARM drops them on input. */
const READ_ONLY_PROPERTIES = new Set(['provisioningstate'])

export function writableProperties(p: unknown): Record<string, unknown> {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return {}
  return Object.fromEntries(
    Object.entries(p).filter(([k]) => !READ_ONLY_PROPERTIES.has(k.toLowerCase())),
  )
}

function propertiesJson(r: ResourceView) {
  if (r.type.toLowerCase() === UAMI_KEY) {
    return {
      isolationScope: (r.properties.isolationScope as string | undefined) ?? 'None',
      tenantId: r.principal?.tenantId,
      principalId: r.principal?.principalId,
      clientId: r.principal?.clientId,
    }
  }
  return { ...writableProperties(r.properties), provisioningState: 'Succeeded' }
}

export function resourceJson(r: ResourceView) {
  const id = canonicalizeResourceId(parseResourceId(r.id))
  return {
    id: id.id,
    // Nested resources are named by their path of names, e.g. `app1/staging` for a slot.
    name: id.names.join('/'),
    type: lookupResourceType(r.type)?.type ?? r.type,
    ...(r.kind ? { kind: r.kind } : {}),
    location: r.location,
    tags: { ...r.tags },
    properties: propertiesJson(r),
    ...(r.identity ? { identity: identityJson(r.identity) } : {}),
  }
}

/** `{resourceId}/providers/Microsoft.ManagedIdentity/identities/default` (reference §3.2). */
export function systemIdentityJson(
  r: ResourceView,
  s: { principalId: string; clientId: string; tenantId: string },
) {
  const id = canonicalizeResourceId(parseResourceId(r.id))
  return {
    id: `${id.id}/providers/${SYSTEM_IDENTITY_TYPE}/default`,
    name: 'default',
    type: SYSTEM_IDENTITY_TYPE,
    location: r.location,
    tags: { ...r.tags },
    properties: { tenantId: s.tenantId, principalId: s.principalId, clientId: s.clientId },
  }
}
