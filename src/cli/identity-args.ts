// `--assign-identity` and `--identities` with the Azure CLI's meaning: `system` (or `[system]`)
// is the system-assigned identity, anything else a user-assigned identity given by resource id
// or, bare, by name in the resource's own group. Assign and remove compute the `identity` PATCH
// body the way `az vm identity assign|remove` does (reference/arm-rbac-dataplane.md §3.1).
import { CliError, EXIT, usageError } from './errors.js'

export interface ArmIdentity {
  type: string
  principalId?: string
  tenantId?: string
  /** `{}` in requests, `{principalId, clientId}` in responses, `null` removes (PATCH). */
  userAssignedIdentities?: Record<
    string,
    { principalId?: string; clientId?: string; keylessSelectors?: unknown } | null
  >
}

export interface IdentityRequest {
  system: boolean
  /** User-assigned identity resource ids. */
  userAssigned: string[]
}

const SYSTEM = /^\[?system\]?$/i

export function parseIdentityArgs(
  values: readonly string[],
  idOfName: (name: string) => string,
): IdentityRequest {
  const request: IdentityRequest = { system: false, userAssigned: [] }
  for (const raw of values) {
    const value = raw.trim()
    if (SYSTEM.test(value)) request.system = true
    else if (value.startsWith('/')) request.userAssigned.push(value)
    else if (value && !value.includes('/')) request.userAssigned.push(idOfName(value))
    else {
      throw usageError(
        `'${raw}' is not an identity: give 'system', a user-assigned identity's name or its resource id`,
      )
    }
  }
  const seen = new Set<string>()
  request.userAssigned = request.userAssigned.filter((id) => {
    const key = id.toLowerCase()
    return seen.has(key) ? false : (seen.add(key), true)
  })
  return request
}

export function identityType(system: boolean, userAssigned: boolean): string {
  if (system && userAssigned) return 'SystemAssigned, UserAssigned'
  if (system) return 'SystemAssigned'
  return userAssigned ? 'UserAssigned' : 'None'
}

/** What an existing `identity` holds; `type` is parsed case- and space-insensitively. */
export function describeIdentity(identity: ArmIdentity | null | undefined) {
  const type = (identity?.type ?? 'None').replace(/\s+/g, '').toLowerCase()
  return {
    system: type.split(',').includes('systemassigned'),
    userAssigned: Object.keys(identity?.userAssignedIdentities ?? {}),
  }
}

/** The `identity` of a new resource; undefined when none was asked for. */
export function identityForCreate(request: IdentityRequest): ArmIdentity | undefined {
  const { system, userAssigned } = request
  if (!system && userAssigned.length === 0) return undefined
  const identity: ArmIdentity = { type: identityType(system, userAssigned.length > 0) }
  if (userAssigned.length > 0) {
    identity.userAssignedIdentities = Object.fromEntries(userAssigned.map((id) => [id, {}]))
  }
  return identity
}

/** PATCH body that adds identities; user-assigned ones already attached stay (ARM merges). */
export function identityToAssign(
  current: ArmIdentity | null | undefined,
  request: IdentityRequest,
): ArmIdentity {
  const now = describeIdentity(current)
  const identity: ArmIdentity = {
    type: identityType(
      now.system || request.system,
      now.userAssigned.length > 0 || request.userAssigned.length > 0,
    ),
  }
  if (request.userAssigned.length > 0) {
    identity.userAssignedIdentities = Object.fromEntries(request.userAssigned.map((id) => [id, {}]))
  }
  return identity
}

/**
 * PATCH body that removes identities: `null` for each user-assigned one while others remain,
 * a narrower `type` otherwise. Removing one that is not attached is an error (exit 3).
 */
export function identityToRemove(
  current: ArmIdentity | null | undefined,
  request: IdentityRequest,
  resourceName: string,
): ArmIdentity {
  const now = describeIdentity(current)
  const attached = new Map(now.userAssigned.map((id) => [id.toLowerCase(), id]))
  const missing = request.userAssigned.filter((id) => !attached.has(id.toLowerCase()))
  if (missing.length > 0) {
    throw new CliError(
      EXIT.notFound,
      `${missing.map((id) => `'${id}'`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} not assigned to '${resourceName}'`,
      'IdentityNotAssigned',
    )
  }
  const removed = new Set(request.userAssigned.map((id) => id.toLowerCase()))
  const remaining = now.userAssigned.filter((id) => !removed.has(id.toLowerCase()))
  const identity: ArmIdentity = {
    type: identityType(now.system && !request.system, remaining.length > 0),
  }
  if (remaining.length > 0 && removed.size > 0) {
    identity.userAssignedIdentities = Object.fromEntries(
      [...removed].map((key) => [attached.get(key)!, null]),
    )
  }
  return identity
}
