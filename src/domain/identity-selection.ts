// Which identity a managed-identity token request selects, and whether a host may ask for the
// resource at all: the two rules of the managed-identity grant, free of I/O. Selection follows
// IMDS: a selector picks a user-assigned identity (or the system one by its own ids); none picks
// the system-assigned identity, else the only user-assigned one; anything else selects nothing
// (the caller answers "identity not found").

export type IdentitySelectorKind = 'clientId' | 'objectId' | 'resourceId'

export interface IdentitySelector {
  kind: IdentitySelectorKind
  value: string
}

export interface CandidateIdentity {
  objectId: string
  appId: string
  /** Key (lower-cased ARM id) of the user-assigned identity resource; absent for the system one. */
  resourceKey?: string
}

/** Whether the choice needs the user-assigned identities (so they are read only then). */
export function needsUserIdentities(
  selector: IdentitySelector | undefined,
  system: CandidateIdentity | undefined,
): boolean {
  if (!selector) return system === undefined
  if (selector.kind === 'resourceId') return true
  return !matchesSelector(system, selector)
}

function matchesSelector(c: CandidateIdentity | undefined, s: IdentitySelector): boolean {
  if (!c) return false
  const v = s.value.toLowerCase()
  if (s.kind === 'clientId') return c.appId === v
  if (s.kind === 'objectId') return c.objectId === v
  return c.resourceKey !== undefined && c.resourceKey === v
}

/**
 * The identity the request selects, or undefined. `selector.value` of a resourceId selector is
 * the identity's resource key; `userAssigned` may be empty when `needsUserIdentities` is false.
 */
export function selectIdentity<C extends CandidateIdentity>(
  selector: IdentitySelector | undefined,
  system: C | undefined,
  userAssigned: readonly C[],
): C | undefined {
  if (!selector) return system ?? (userAssigned.length === 1 ? userAssigned[0] : undefined)
  if (selector.kind !== 'resourceId' && matchesSelector(system, selector)) return system
  return userAssigned.find((u) => matchesSelector(u, selector))
}

/**
 * Whether `hostId` runs the resource: the host it names, or, when it names none, the host of
 * `keyless up`'s own agent (`localHostId`, absent when there is none).
 */
export function isHostedBy(
  resourceHostId: string | null,
  hostId: string,
  localHostId: string | undefined,
): boolean {
  const runner = resourceHostId ?? localHostId
  return runner !== undefined && runner === hostId
}
