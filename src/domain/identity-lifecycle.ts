// The managed-identity lifecycle rules (docs/architecture.md), each in one place. The
// directory loads state, asks these functions what a request or a delete implies, and applies
// the answer in one transaction. Semantics follow Azure's
// (https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/qs-configure-rest-vm):
// PUT replaces the identity, PATCH merges `userAssignedIdentities` ({} adds, null removes).
import { BadRequest } from './errors.js'
import {
  includesSystemAssigned,
  includesUserAssigned,
  type IdentitySpec,
  type IdentityType,
} from './identity-spec.js'
import type { ResourceId } from './resource-id.js'
import {
  lookupResourceType,
  RESOURCE_TYPES,
  USER_ASSIGNED_IDENTITIES,
  WEB_SITE_SLOTS,
} from './resource-types.js'

export interface IdentityState {
  system: boolean
  /** Keys (lower-cased ids) of the attached user-assigned identities. */
  userAssigned: string[]
}

export interface IdentityPlan {
  next: IdentityState
  /** Create a fresh system-assigned principal. */
  createSystem: boolean
  /** Delete the system-assigned principal, its role assignments and its credentials. */
  deleteSystem: boolean
  /** Identities to attach: check `.../assign/action` on each, and that each exists. */
  attach: ResourceId[]
  /** Keys of identities to detach; removing needs no permission on the identity. */
  detach: string[]
}

export const NO_IDENTITY: IdentityState = Object.freeze({ system: false, userAssigned: [] })

export function identityTypeOf(state: IdentityState): IdentityType {
  const user = state.userAssigned.length > 0
  if (state.system) return user ? 'SystemAssigned, UserAssigned' : 'SystemAssigned'
  return user ? 'UserAssigned' : 'None'
}

/**
 * What a PUT or PATCH `identity` does to `current`. `request` is `parseIdentitySpec`'s result:
 * `undefined` (property absent) means `None` on PUT and no change on PATCH. A PATCH without
 * `type` keeps the system identity as it is and lets UserAssigned follow the resulting list.
 */
export function planIdentityChange(
  current: IdentityState,
  request: IdentitySpec | undefined,
  mode: 'put' | 'patch',
): IdentityPlan {
  const currentKeys = [...new Set(current.userAssigned.map((k) => k.toLowerCase()))]
  const spec: IdentitySpec = request ?? (mode === 'put' ? { type: 'None' } : {})
  const type = spec.type
  const system = type === undefined ? current.system : includesSystemAssigned(type)

  const added = new Map<string, ResourceId>()
  const removed = new Set<string>()
  for (const change of spec.userAssignedIdentities ?? []) {
    if (change.remove) removed.add(change.id.key)
    else added.set(change.id.key, change.id)
  }
  const keeps = (key: string): boolean => {
    if (type !== undefined && !includesUserAssigned(type)) return false
    if (removed.has(key)) return false
    return mode === 'patch' || added.has(key)
  }
  const kept = currentKeys.filter(keeps)
  const attach = [...added.values()].filter((id) => !currentKeys.includes(id.key) && keeps(id.key))
  const next: IdentityState = { system, userAssigned: [...kept, ...attach.map((id) => id.key)] }

  if (type !== undefined && includesUserAssigned(type) && next.userAssigned.length === 0) {
    // ARM's code and wording (hashicorp/terraform-provider-azurerm#17082).
    throw new BadRequest(
      'MissingIdentityIds',
      `the identity ids must not be null or empty for '${type}' identity type`,
      { target: 'identity.userAssignedIdentities' },
    )
  }
  return {
    next,
    createSystem: system && !current.system,
    deleteSystem: current.system && !system,
    attach,
    detach: currentKeys.filter((k) => !next.userAssigned.includes(k)),
  }
}

/** The display name of a resource's system-assigned principal: `<app>/slots/<slot>` for a slot. */
export function systemPrincipalDisplayName(resource: ResourceId): string {
  if (resource.kind !== 'resource' || resource.name === undefined) {
    throw new TypeError(`'${resource.id}' is not a resource`)
  }
  if (resource.type?.toLowerCase() === WEB_SITE_SLOTS.toLowerCase()) {
    return `${resource.names[0]}/slots/${resource.names[1]}`
  }
  return resource.name
}

/** Entra's `alternativeNames` for a managed identity's service principal. */
export function principalAlternativeNames(
  kind: 'SystemAssigned' | 'UserAssigned',
  resource: ResourceId,
): string[] {
  return [kind === 'UserAssigned' ? 'isExplicit=True' : 'isExplicit=False', resource.id]
}

/** Only compute types may carry an `identity` property (Keyless's rule, see resource-types.ts). */
export function assertCanHoldIdentity(type: string): void {
  if (lookupResourceType(type)?.isCompute === true) return
  // Keyless's own code: Azure lets some non-compute types hold identities, Keyless does not.
  throw new BadRequest(
    'IdentityNotSupported',
    `resource type '${type}' cannot have an identity: only compute resources hold managed identities`,
    { target: 'identity' },
  )
}

/**
 * What deleting a resource of some type implies. A deleted principal takes its role assignments,
 * and so does every deleted scope (directory/role-assignments.ts): Keyless leaves no orphans.
 */
export interface DeletionConsequences {
  /** Nested types deleted with it (a site's slots), each with its own consequences. */
  childTypes: string[]
  /** Compute: its system-assigned principal goes, with assignments and credentials. */
  deleteSystemPrincipal: boolean
  /** Compute: its links to user-assigned identities go; the identities themselves stay. */
  dropAttachments: boolean
  /** User-assigned identity: detached from every resource that holds it. */
  detachEverywhere: boolean
  /** User-assigned identity: its own principal goes, with assignments and credentials. */
  deleteIdentityPrincipal: boolean
  /** User-assigned identity: its federated identity credentials go, so no external token can
   * match them once the identity is gone. */
  deleteFederatedCredentials: boolean
}

export function consequencesOfDeleting(resourceType: string): DeletionConsequences {
  const info = lookupResourceType(resourceType)
  const isCompute = info?.isCompute === true
  const isIdentity = info?.key === USER_ASSIGNED_IDENTITIES.toLowerCase()
  const children = RESOURCE_TYPES.filter((t) => info !== undefined && t.parentType === info.type)
  return {
    childTypes: children.map((t) => t.type),
    deleteSystemPrincipal: isCompute,
    dropAttachments: isCompute,
    detachEverywhere: isIdentity,
    deleteIdentityPrincipal: isIdentity,
    deleteFederatedCredentials: isIdentity,
  }
}
