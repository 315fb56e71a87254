// Role definition and assignment ids. ARM names both by GUID and SDKs send a role definition as a
// full id (`/subscriptions/{s}/providers/Microsoft.Authorization/roleDefinitions/{guid}`, or the
// tenant form without the subscription); Keyless keys both by the lower-case GUID.
import { BadRequest } from '../errors.js'
import type { Scope } from '../resource-id.js'

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const ROLE_DEFINITION_ID =
  /^(?:\/subscriptions\/[^/]+)?\/providers\/microsoft\.authorization\/roledefinitions\/([^/]+)$/i

export function isGuid(value: unknown): value is string {
  return typeof value === 'string' && GUID.test(value)
}

/** The lower-case GUID of a role definition given as a GUID or as a full role definition id. */
export function roleDefinitionGuid(raw: string): string {
  const trimmed = typeof raw === 'string' ? raw.replace(/\/{2,}/g, '/') : ''
  const guid = isGuid(trimmed) ? trimmed : ROLE_DEFINITION_ID.exec(trimmed)?.[1]
  if (!isGuid(guid)) {
    throw new BadRequest(
      'InvalidRoleDefinitionId',
      `The role definition ID '${String(raw)}' is not valid.`,
    )
  }
  return guid.toLowerCase()
}

/**
 * The full id ARM shows for a role definition seen from `scope`: under the scope's subscription,
 * or the tenant form at the root (reference §4: built-ins are served at `/` and under every
 * subscription).
 */
export function roleDefinitionResourceId(scope: Pick<Scope, 'segments'>, guid: string): string {
  const subscription = scope.segments[0] === 'subscriptions' ? scope.segments[1] : undefined
  const prefix = subscription === undefined ? '' : `/subscriptions/${subscription}`
  return `${prefix}/providers/Microsoft.Authorization/roleDefinitions/${guid.toLowerCase()}`
}

/** The lower-case GUID of a role assignment name; 400 `InvalidRoleAssignmentId` otherwise. */
export function roleAssignmentGuid(name: string): string {
  if (!isGuid(name)) {
    throw new BadRequest(
      'InvalidRoleAssignmentId',
      `The role assignment ID '${String(name)}' is not valid. The role assignment ID must be a GUID.`,
    )
  }
  return name.toLowerCase()
}
