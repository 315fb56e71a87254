// What the directory returns: ARM-neutral views of its objects. The arm/ plugin shapes them into
// Azure's JSON; the CLI and other services read the same views through the API.
import type { IdentityType } from '../domain/identity-spec.js'
import type { ProcessSelectors } from '../domain/process-selectors.js'

export type Tags = Record<string, string>

export interface SubscriptionView {
  subscriptionId: string
  tenantId: string
  displayName: string
  state: string
}

export interface ResourceGroupView {
  /** Id with the casing of its creation. */
  id: string
  subscriptionId: string
  name: string
  location: string
  tags: Tags
  managedBy: string | null
}

export interface UserAssignedView {
  principalId: string
  clientId: string
  /** Process selectors of the attachment (a Keyless extension); absent: none. */
  selectors?: ProcessSelectors
}

export interface IdentityView {
  type: IdentityType
  /** Present with a system-assigned identity. */
  principalId?: string
  tenantId?: string
  /** The system identity's process selectors; absent: none. */
  selectors?: ProcessSelectors
  /** Keyed by identity resource id, in the casing of the identity's creation. */
  userAssignedIdentities?: Record<string, UserAssignedView>
}

export interface ResourceView {
  id: string
  name: string
  type: string
  kind: string | null
  location: string
  tags: Tags
  properties: Record<string, unknown>
  /** Compute resources only; absent means no identity property at all. */
  identity?: IdentityView
  /** For user-assigned identities: their own principal. */
  principal?: { principalId: string; clientId: string; tenantId: string }
  /** The agent host a compute resource runs on (null = the local agent). */
  hostId: string | null
  createdAt: number
  updatedAt: number
}

export interface PrincipalView {
  objectId: string
  appId: string
  tenantId: string
  displayName: string
  servicePrincipalType: string
  alternativeNames: string[]
  /** `SystemAssigned`, `UserAssigned`, or null for application principals. */
  identityKind: string | null
  /** The owning resource id (as created), for managed identities. */
  resourceId: string | null
}

export interface ResourceInput {
  location: string
  tags?: Tags
  kind?: string | null
  properties?: Record<string, unknown>
  /** The raw ARM `identity` value; undefined = absent from the body. */
  identity?: unknown
}

export interface ResourcePatch {
  tags?: Tags
  properties?: Record<string, unknown>
  identity?: unknown
}
