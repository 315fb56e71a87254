// Managed-identity service principals: created and deleted only here, by the lifecycle rules.
import { HOST_IDS } from '../domain/host-events.js'
import { randomUUID } from 'node:crypto'
import {
  principalAlternativeNames,
  systemPrincipalDisplayName,
} from '../domain/identity-lifecycle.js'
import type { ResourceId } from '../domain/resource-id.js'
import type { ChangeContext } from './change-context.js'
import { recordChange } from './events.js'
import { deleteRoleAssignmentsOf } from './role-assignments.js'

export async function createIdentityPrincipal(
  { tx, tenantId, now }: ChangeContext,
  kind: 'SystemAssigned' | 'UserAssigned',
  resource: ResourceId,
): Promise<string> {
  const objectId = randomUUID()
  await tx.principals.create({
    object_id: objectId,
    app_id: randomUUID(),
    tenant_id: tenantId,
    display_name: kind === 'SystemAssigned' ? systemPrincipalDisplayName(resource) : resource.name!,
    principal_type: 'ManagedIdentity',
    identity_kind: kind,
    alternative_names: JSON.stringify(principalAlternativeNames(kind, resource)),
    resource_key: resource.key,
    created_at: now,
  })
  await recordChange(tx, now, 'principal.created', objectId, { kind, resourceId: resource.id })
  return objectId
}

/**
 * Deletes the principal a resource owns, if any (its credentials go with it by cascade).
 * `hostIds`: the hosts that may hold its tokens (domain/host-events.ts); a user-assigned
 * identity's callers are told by their own `identity.detached` events first.
 */
export async function deleteOwnedPrincipal(
  { tx, now }: ChangeContext,
  resourceKey: string,
  hostIds: string[] = [],
): Promise<void> {
  const principal = await tx.principals.fetchByResource(resourceKey)
  if (!principal) return
  await deleteRoleAssignmentsOf({ tx, now }, principal.object_id)
  await tx.principals.delete(principal.object_id)
  await recordChange(tx, now, 'principal.deleted', principal.object_id, {
    kind: principal.identity_kind,
    resourceKey,
    [HOST_IDS]: hostIds,
  })
}
