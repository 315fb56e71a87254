// The `identity` PATCH bodies Azure's tools send (as the CLI's identity-args.ts): attaching adds
// a user-assigned identity; detaching sends null for it while others remain, else narrows type.
const typeOf = (system, user) =>
  system && user
    ? 'SystemAssigned, UserAssigned'
    : system
      ? 'SystemAssigned'
      : user
        ? 'UserAssigned'
        : 'None'

const hasSystem = (identity) => /systemassigned/i.test(identity?.type ?? '')

export function attachBody(resource, identityId) {
  return {
    identity: {
      type: typeOf(hasSystem(resource.identity), true),
      userAssignedIdentities: { [identityId]: {} },
    },
  }
}

export function detachBody(resource, identityId) {
  const current = Object.keys(resource.identity?.userAssignedIdentities ?? {})
  const remaining = current.filter((id) => id.toLowerCase() !== identityId.toLowerCase())
  const identity = { type: typeOf(hasSystem(resource.identity), remaining.length > 0) }
  if (remaining.length > 0) identity.userAssignedIdentities = { [identityId]: null }
  return { identity }
}
