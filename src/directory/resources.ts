// Resources: PUT, PATCH and DELETE with the identity lifecycle applied in the same transaction.
import { HOST_IDS, hostIdsOf } from '../domain/host-events.js'
import {
  assertCanHoldIdentity,
  consequencesOfDeleting,
  NO_IDENTITY,
  planIdentityChange,
  type IdentityPlan,
} from '../domain/identity-lifecycle.js'
import { parseIdentitySpec } from '../domain/identity-spec.js'
import { planSelectorChanges, type SelectorChanges } from '../domain/attachment-selectors.js'
import { isMachineType, machineHostAfterWrite } from '../domain/machines.js'
import { assertNamespaceName, NETWORK_NAMESPACE_PROPERTY } from '../domain/network-namespace.js'
import { BadRequest, Conflict, NotFound } from '../domain/errors.js'
import type { ResourceId } from '../domain/resource-id.js'
import { parseResourceId } from '../domain/resource-id.js'
import {
  KEY_VAULTS,
  lookupResourceType,
  STORAGE_ACCOUNTS,
  USER_ASSIGNED_IDENTITIES,
} from '../domain/resource-types.js'
import type { ResourceRow } from '../store/schema.js'
import type { Repositories } from '../store/store.js'
import { recordChange } from './events.js'
import { identityView, loadIdentityState } from './identity-state.js'
import { createIdentityPrincipal, deleteOwnedPrincipal } from './principals.js'
import { parseJson } from './rows.js'
import { deleteRoleAssignmentsAtOrBelow } from './role-assignments.js'
import { revokeHostRow } from './host-revocation.js'
import type { ResourceInput, ResourcePatch, ResourceView, Tags } from './views.js'
import type { ChangeContext } from './change-context.js'

const UAMI_KEY = USER_ASSIGNED_IDENTITIES.toLowerCase()

// Vault and storage account names are DNS labels in Azure, unique across all of it; in Keyless
// across the installation, because the data planes find a vault or an account by its name.
const GLOBALLY_UNIQUE: Record<string, (name: string) => Conflict> = {
  [KEY_VAULTS.toLowerCase()]: (name) =>
    new Conflict(
      'VaultAlreadyExists',
      `The vault name '${name}' is already in use. Vault names are globally unique so it is possible that the name is already taken.`,
    ),
  [STORAGE_ACCOUNTS.toLowerCase()]: (name) =>
    new Conflict(
      'StorageAccountAlreadyTaken',
      `The storage account named ${name} is already taken.`,
    ),
}

async function assertNameFree(tx: Repositories, id: ResourceId): Promise<void> {
  const taken = GLOBALLY_UNIQUE[id.type!.toLowerCase()]
  if (taken && (await tx.resources.findByName(id.type!, id.name!)).length > 0) {
    throw taken(id.name!)
  }
}

export function resourceNotFound(id: ResourceId): NotFound {
  return new NotFound(
    'ResourceNotFound',
    `The Resource '${id.type}/${id.names.join('/')}' under resource group '${id.resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  )
}

export async function resourceView(
  tx: Repositories,
  row: ResourceRow,
  tenantId: string,
): Promise<ResourceView> {
  const view: ResourceView = {
    id: row.id,
    name: parseResourceId(row.id).names.join('/'),
    type: row.type,
    kind: row.kind,
    location: row.location,
    tags: parseJson<Tags>(row.tags),
    properties: {
      ...parseJson<Record<string, unknown>>(row.properties),
      ...(row.host_id ? { hostId: row.host_id } : {}),
    },
    hostId: row.host_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
  const identity = await identityView(tx, row, tenantId)
  if (identity) view.identity = identity
  if (row.type_key === UAMI_KEY) {
    const p = await tx.principals.fetchByResource(row.key)
    if (p) view.principal = { principalId: p.object_id, clientId: p.app_id, tenantId }
  }
  return view
}

/**
 * `properties.hostId` names the agent host a compute resource runs on (a Keyless extension;
 * absent means the local agent of `keyless up`). It is kept in its own column, because token
 * issuance checks it on every request, and must name an active host.
 */
async function splitHost(
  tx: Repositories,
  input: Record<string, unknown> | undefined,
  isCompute: boolean,
) {
  const { hostId, ...rest } = input ?? {}
  const properties = withNamespace(rest, hostId)
  if (hostId === undefined || hostId === null) return { hostId: null, properties }
  const host =
    typeof hostId === 'string' && isCompute ? await tx.hosts.fetch(hostId.toLowerCase()) : undefined
  if (!host || host.state !== 'active') {
    throw new BadRequest(
      'InvalidHostId',
      isCompute
        ? `properties.hostId '${String(hostId)}' is not an active Keyless host`
        : 'only compute resources run on a host',
      { target: 'properties.hostId' },
    )
  }
  return { hostId: host.id, properties }
}

/**
 * `properties.networkNamespace` (domain/network-namespace.ts): where on its host the resource's
 * workloads run; it needs a host, and null removes it.
 */
function withNamespace(properties: Record<string, unknown>, hostId: unknown) {
  const { [NETWORK_NAMESPACE_PROPERTY]: netns, ...rest } = properties
  if (netns === undefined || netns === null) return rest
  const target = `properties.${NETWORK_NAMESPACE_PROPERTY}`
  assertNamespaceName(netns, target)
  if (hostId === undefined || hostId === null) {
    throw new BadRequest('InvalidNetns', `${target} needs properties.hostId: the host it is on`, {
      target,
    })
  }
  return { ...rest, [NETWORK_NAMESPACE_PROPERTY]: netns }
}

/** Checks that every identity to attach exists; Azure reports a missing one as a failed
 * identity operation (400) rather than a 404 of the resource being written. */
async function assertIdentitiesExist(tx: Repositories, plan: IdentityPlan): Promise<void> {
  for (const id of plan.attach) {
    const row = await tx.resources.fetch(id.key)
    if (!row || row.type_key !== UAMI_KEY) {
      throw new BadRequest(
        'FailedIdentityOperation',
        `Identity operation for resource failed: the user assigned identity '${id.id}' was not found.`,
        { target: 'identity.userAssignedIdentities' },
      )
    }
  }
}

/** `hostIds`: the hosts running the resource, before and after this change (host-events.ts). */
async function applyIdentityPlan(
  ctx: ChangeContext,
  resource: ResourceId,
  plan: IdentityPlan,
  hostIds: string[],
  selectors: SelectorChanges,
) {
  const { tx, now } = ctx
  if (plan.deleteSystem) await deleteOwnedPrincipal(ctx, resource.key, hostIds)
  if (plan.createSystem) await createIdentityPrincipal(ctx, 'SystemAssigned', resource)
  for (const key of plan.detach) {
    await tx.attachments.delete(resource.key, key)
    await recordChange(tx, now, 'identity.detached', resource.key, {
      identityKey: key,
      [HOST_IDS]: hostIds,
    })
  }
  for (const id of plan.attach) {
    await tx.attachments.create({
      resource_key: resource.key,
      identity_key: id.key,
      created_at: now,
      selectors: selectors.userAssigned.get(id.key) ?? null,
    })
    await recordChange(tx, now, 'identity.attached', resource.key, { identityKey: id.key })
  }
  // Attachments that stay: the resource.updated event recorded with this change tells agents.
  for (const [key, text] of selectors.userAssigned) {
    if (!plan.attach.some((id) => id.key === key))
      await tx.attachments.updateSelectors(resource.key, key, text)
  }
}

/** A machine's properties with its host filled in, or the refusal (domain/machines.ts). */
function machineProperties(
  type: string,
  existing: ResourceRow | undefined,
  properties: Record<string, unknown> | undefined,
  plan: IdentityPlan | undefined,
  enrollingHostId?: string,
): Record<string, unknown> | undefined {
  if (!isMachineType(type)) return properties
  const hostId = machineHostAfterWrite({
    existingHostId: existing?.host_id,
    requestedHostId: properties?.hostId as string | null | undefined,
    enrollingHostId,
    removesSystemIdentity:
      plan === undefined ? false : plan.deleteSystem || (!existing && !plan.createSystem),
  })
  return { ...properties, hostId }
}

/** `enrollingHostId`: the host whose enrollment creates this machine (directory/hosts.ts). */
export async function putResource(
  ctx: ChangeContext,
  id: ResourceId,
  input: ResourceInput,
  enrollingHostId?: string,
): Promise<{ row: ResourceRow; created: boolean }> {
  const { tx, now } = ctx
  const existing = await tx.resources.fetch(id.key)
  if (existing && existing.location.toLowerCase() !== input.location.toLowerCase()) {
    throw new Conflict(
      'InvalidResourceLocation',
      `The resource '${id.names.join('/')}' already exists in location '${existing.location}' in resource group '${id.resourceGroup}'. A resource with the same name cannot be created in location '${input.location}'. Please select a new resource name.`,
    )
  }
  if (input.identity !== undefined && input.identity !== null) assertCanHoldIdentity(id.type!)
  const spec = parseIdentitySpec(input.identity, 'put')
  // A PUT replaces the resource wholesale, identity included: on a compute resource an absent
  // identity property means `None` (domain/identity-lifecycle.ts).
  const isCompute = lookupResourceType(id.type!)?.isCompute === true
  const current = existing ? await loadIdentityState(tx, id.key) : NO_IDENTITY
  const plan = isCompute ? planIdentityChange(current, spec, 'put') : undefined
  if (plan) await assertIdentitiesExist(tx, plan)
  const selectors = plan && planSelectorChanges(spec, plan, 'put')

  const { hostId, properties } = await splitHost(
    tx,
    machineProperties(id.type!, existing, input.properties, plan, enrollingHostId),
    isCompute,
  )
  const fields = {
    kind: input.kind ?? null,
    location: input.location,
    tags: JSON.stringify(input.tags ?? {}),
    properties: JSON.stringify(properties),
    host_id: hostId,
    ...(selectors?.system !== undefined ? { identity_selectors: selectors.system } : {}),
    updated_at: now,
  }
  if (existing) {
    await tx.resources.update(id.key, fields)
  } else {
    await assertNameFree(tx, id)
    await tx.resources.create({
      key: id.key,
      id: id.id,
      subscription_id: id.subscriptionId,
      group_key:
        `/subscriptions/${id.subscriptionId}/resourcegroups/${id.resourceGroup}`.toLowerCase(),
      parent_key: id.parent?.key ?? null,
      type: id.type!,
      type_key: id.type!.toLowerCase(),
      name: id.name!,
      created_at: now,
      ...fields,
    })
    if (id.type!.toLowerCase() === UAMI_KEY) await createIdentityPrincipal(ctx, 'UserAssigned', id)
  }
  const hostIds = hostIdsOf(existing?.host_id, hostId)
  await recordChange(tx, now, existing ? 'resource.updated' : 'resource.created', id.key, {
    type: id.type,
    [HOST_IDS]: hostIds,
  })
  if (plan) await applyIdentityPlan(ctx, id, plan, hostIds, selectors!)
  return { row: (await tx.resources.fetch(id.key))!, created: !existing }
}

export async function patchResource(
  ctx: ChangeContext,
  id: ResourceId,
  patch: ResourcePatch,
): Promise<ResourceRow> {
  const { tx, now } = ctx
  const existing = await tx.resources.fetch(id.key)
  if (!existing) throw resourceNotFound(id)
  if (patch.identity !== undefined && patch.identity !== null) assertCanHoldIdentity(existing.type)
  const spec = parseIdentitySpec(patch.identity, 'patch')
  const plan = spec
    ? planIdentityChange(await loadIdentityState(tx, id.key), spec, 'patch')
    : undefined
  if (plan) await assertIdentitiesExist(tx, plan)
  const selectors = plan && planSelectorChanges(spec, plan, 'patch')
  const patched = machineProperties(existing.type, existing, patch.properties, plan)
  // PATCH merges properties; the host stays unless the patch names another (or null).
  const merged =
    patched === undefined
      ? undefined
      : await splitHost(
          tx,
          {
            hostId: existing.host_id,
            ...parseJson<object>(existing.properties),
            ...patched,
          },
          lookupResourceType(existing.type)?.isCompute === true,
        )
  await tx.resources.update(id.key, {
    ...(patch.tags !== undefined ? { tags: JSON.stringify(patch.tags) } : {}),
    ...(merged ? { properties: JSON.stringify(merged.properties), host_id: merged.hostId } : {}),
    ...(selectors?.system !== undefined ? { identity_selectors: selectors.system } : {}),
    updated_at: now,
  })
  const hostIds = hostIdsOf(existing.host_id, merged ? merged.hostId : existing.host_id)
  await recordChange(tx, now, 'resource.updated', id.key, {
    type: existing.type,
    [HOST_IDS]: hostIds,
  })
  if (plan) await applyIdentityPlan(ctx, parseResourceId(existing.id), plan, hostIds, selectors!)
  return (await tx.resources.fetch(id.key))!
}

/** Deletes a resource, its children first, each with the consequences of its type. */
export async function deleteResourceRow(ctx: ChangeContext, row: ResourceRow): Promise<void> {
  const { tx, now } = ctx
  const rules = consequencesOfDeleting(row.type)
  if (rules.childTypes.length) {
    for (const child of await listAll(tx, row.key)) await deleteResourceRow(ctx, child)
  }
  if (rules.detachEverywhere) {
    for (const a of await tx.attachments.listByIdentity(row.key)) {
      const caller = await tx.resources.fetch(a.resource_key)
      await tx.attachments.delete(a.resource_key, row.key)
      await recordChange(tx, now, 'identity.detached', a.resource_key, {
        identityKey: row.key,
        [HOST_IDS]: hostIdsOf(caller?.host_id),
      })
    }
  }
  if (rules.dropAttachments) await tx.attachments.deleteByResource(row.key)
  if (rules.deleteFederatedCredentials) await tx.federatedCredentials.deleteByIdentity(row.key)
  if (rules.deleteSystemPrincipal || rules.deleteIdentityPrincipal)
    await deleteOwnedPrincipal(ctx, row.key, hostIdsOf(row.host_id))
  await deleteRoleAssignmentsAtOrBelow(ctx, row.key)
  // Deleting a machine disconnects it, as in Arc: its host is revoked in the same transaction.
  if (isMachineType(row.type) && row.host_id) await revokeHostRow(ctx, row.host_id)
  await tx.resources.delete(row.key)
  await recordChange(tx, now, 'resource.deleted', row.key, {
    type: row.type,
    id: row.id,
    [HOST_IDS]: hostIdsOf(row.host_id),
  })
}

async function listAll(tx: Repositories, parentKey: string): Promise<ResourceRow[]> {
  const out: ResourceRow[] = []
  let after: string | undefined
  do {
    const page = await tx.resources.list({ parentKey }, { limit: 1000, after })
    out.push(...page.items)
    after = page.next
  } while (after)
  return out
}
