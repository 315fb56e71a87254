// The directory: tenants' subscriptions, resource groups, resources and the service principals
// behind their identities. Every write runs in one store transaction and appends its events.
import type { Clock } from '../domain/clock.js'
import { BadRequest, NotFound } from '../domain/errors.js'
import { DEFAULT_MAX_FEDERATED_CREDENTIALS } from '../domain/federated-credential.js'
import { validateResourceGroupName, validateResourceName } from '../domain/names.js'
import type { ResourceId } from '../domain/resource-id.js'
import { canonicalizeResourceId, lookupResourceType } from '../domain/resource-types.js'
import type { Store } from '../store/store.js'
import type { Directory } from './directory.js'
import { recordChange } from './events.js'
import { createFederatedCredentials } from './federated-credentials.js'
import { deleteGroup, groupKey, groupNotFound } from './resource-groups.js'
import {
  deleteResourceRow,
  patchResource,
  putResource,
  resourceNotFound,
  resourceView,
} from './resources.js'
import { groupView, principalView } from './rows.js'
import type { SubscriptionView } from './views.js'

export interface DirectoryOptions {
  store: Store
  clock: Clock
  tenantId: string
  /** Federated identity credentials per user-assigned identity (Azure: 20; default 1,000). */
  maxFederatedCredentials?: number
}

export function createDirectory({
  store,
  clock,
  tenantId,
  maxFederatedCredentials = DEFAULT_MAX_FEDERATED_CREDENTIALS,
}: DirectoryOptions): Directory {
  const subscriptionView = (s: {
    id: string
    tenant_id: string
    display_name: string
    state: string
  }): SubscriptionView => ({
    subscriptionId: s.id,
    tenantId: s.tenant_id,
    displayName: s.display_name,
    state: s.state,
  })

  async function requireSubscription(
    tx: Store | Parameters<Parameters<Store['transaction']>[0]>[0],
    id: string,
  ) {
    const s = await tx.subscriptions.fetch(id)
    if (!s || s.tenant_id !== tenantId) {
      throw new NotFound('SubscriptionNotFound', `The subscription '${id}' could not be found.`)
    }
    return s
  }

  /** Validates a resource id for a write: known type, valid names, and canonical type casing. */
  function checkedResourceId(raw: ResourceId): ResourceId {
    if (raw.kind !== 'resource' || !raw.type || !raw.resourceGroup) {
      throw new BadRequest(
        'InvalidResourceId',
        `'${raw.id}' is not the id of a resource in a resource group`,
      )
    }
    const info = lookupResourceType(raw.type)
    if (!info) {
      throw new BadRequest(
        'NoRegisteredProviderFound',
        `No registered resource provider found for type '${raw.type}'.`,
      )
    }
    const id = canonicalizeResourceId(raw)
    for (let at: ResourceId | undefined = id; at; at = at.parent) {
      validateResourceName(at.type!, at.name!)
    }
    return id
  }

  return {
    tenantId,
    federatedCredentials: createFederatedCredentials({
      store,
      clock,
      maxPerIdentity: maxFederatedCredentials,
    }),

    async listSubscriptions() {
      return (await store.subscriptions.list(tenantId)).map(subscriptionView)
    },

    async getSubscription(id) {
      return subscriptionView(await requireSubscription(store, id))
    },

    async putResourceGroup(subscriptionId, name, input) {
      validateResourceGroupName(name)
      return store.transaction(async (tx) => {
        await requireSubscription(tx, subscriptionId)
        const now = clock.now()
        const key = groupKey(subscriptionId, name)
        const existing = await tx.resourceGroups.fetch(key)
        if (existing && existing.location.toLowerCase() !== input.location.toLowerCase()) {
          throw new BadRequest(
            'InvalidResourceGroupLocation',
            `Invalid resource group location '${input.location}'. The Resource group already exists in location '${existing.location}'.`,
          )
        }
        const tags = JSON.stringify(input.tags ?? {})
        if (existing) {
          await tx.resourceGroups.update(key, {
            tags,
            managed_by: input.managedBy ?? null,
            updated_at: now,
          })
        } else {
          await tx.resourceGroups.create({
            key,
            id: `/subscriptions/${subscriptionId}/resourceGroups/${name}`,
            subscription_id: subscriptionId,
            name,
            location: input.location,
            tags,
            managed_by: input.managedBy ?? null,
            created_at: now,
            updated_at: now,
          })
        }
        await recordChange(
          tx,
          now,
          existing ? 'resourceGroup.updated' : 'resourceGroup.created',
          key,
        )
        return { group: groupView((await tx.resourceGroups.fetch(key))!), created: !existing }
      })
    },

    async patchResourceGroup(subscriptionId, name, patch) {
      return store.transaction(async (tx) => {
        await requireSubscription(tx, subscriptionId)
        const key = groupKey(subscriptionId, name)
        if (!(await tx.resourceGroups.fetch(key))) throw groupNotFound(name)
        const now = clock.now()
        await tx.resourceGroups.update(key, {
          ...(patch.tags !== undefined ? { tags: JSON.stringify(patch.tags) } : {}),
          ...(patch.managedBy !== undefined ? { managed_by: patch.managedBy } : {}),
          updated_at: now,
        })
        await recordChange(tx, now, 'resourceGroup.updated', key)
        return groupView((await tx.resourceGroups.fetch(key))!)
      })
    },

    async getResourceGroup(subscriptionId, name) {
      await requireSubscription(store, subscriptionId)
      const row = await store.resourceGroups.fetch(groupKey(subscriptionId, name))
      if (!row) throw groupNotFound(name)
      return groupView(row)
    },

    async listResourceGroups(subscriptionId, page) {
      await requireSubscription(store, subscriptionId)
      const rows = await store.resourceGroups.list(subscriptionId, page)
      return { items: rows.items.map(groupView), next: rows.next }
    },

    async deleteResourceGroup(subscriptionId, name) {
      return store.transaction(async (tx) => {
        await requireSubscription(tx, subscriptionId)
        return deleteGroup({ tx, tenantId, now: clock.now() }, groupKey(subscriptionId, name))
      })
    },

    async putResource(rawId, input) {
      const id = checkedResourceId(rawId)
      return store.transaction(async (tx) => {
        await requireSubscription(tx, id.subscriptionId)
        if (!(await tx.resourceGroups.fetch(groupKey(id.subscriptionId, id.resourceGroup!)))) {
          throw groupNotFound(id.resourceGroup!)
        }
        if (id.parent && !(await tx.resources.fetch(id.parent.key))) {
          throw new NotFound(
            'ParentResourceNotFound',
            `Can not perform requested operation on nested resource. Parent resource '${id.parent.names.join('/')}' not found.`,
          )
        }
        const { row, created } = await putResource({ tx, tenantId, now: clock.now() }, id, input)
        return { resource: await resourceView(tx, row, tenantId), created }
      })
    },

    async patchResource(rawId, patch) {
      const id = checkedResourceId(rawId)
      return store.transaction(async (tx) => {
        const row = await patchResource({ tx, tenantId, now: clock.now() }, id, patch)
        return resourceView(tx, row, tenantId)
      })
    },

    async getResource(id) {
      const row = await store.resources.fetch(id.key)
      if (!row) {
        if (
          id.resourceGroup &&
          !(await store.resourceGroups.fetch(groupKey(id.subscriptionId, id.resourceGroup)))
        ) {
          throw groupNotFound(id.resourceGroup)
        }
        throw resourceNotFound(id)
      }
      return resourceView(store, row, tenantId)
    },

    async listResources(filter, page) {
      const typeKey = filter.type?.toLowerCase()
      const rows = await store.resources.list(
        {
          subscriptionId: filter.subscriptionId,
          ...(filter.resourceGroup
            ? { groupKey: groupKey(filter.subscriptionId, filter.resourceGroup) }
            : {}),
          ...(typeKey ? { typeKey } : {}),
          ...(filter.parent ? { parentKey: filter.parent.key } : {}),
        },
        page,
      )
      return {
        items: await Promise.all(rows.items.map((r) => resourceView(store, r, tenantId))),
        next: rows.next,
      }
    },

    async deleteResource(id) {
      return store.transaction(async (tx) => {
        const row = await tx.resources.fetch(id.key)
        if (!row) return false
        await deleteResourceRow({ tx, tenantId, now: clock.now() }, row)
        return true
      })
    },

    async getSystemIdentity(id) {
      const row = await store.resources.fetch(id.key)
      if (!row) throw resourceNotFound(id)
      const p = await store.principals.fetchByResource(id.key)
      if (!p || p.identity_kind !== 'SystemAssigned') {
        throw new NotFound(
          'ResourceNotFound',
          `The resource '${row.id}' has no system-assigned identity.`,
        )
      }
      return { principalId: p.object_id, clientId: p.app_id, tenantId }
    },

    async getPrincipal(objectId) {
      const row = await store.principals.fetch(objectId.toLowerCase())
      if (!row) return undefined
      return principalView(
        row,
        row.resource_key ? await store.resources.fetch(row.resource_key) : undefined,
      )
    },

    async findPrincipalByAppId(appId) {
      const row = await store.principals.fetchByAppId(appId.toLowerCase())
      if (!row) return undefined
      return principalView(
        row,
        row.resource_key ? await store.resources.fetch(row.resource_key) : undefined,
      )
    },
  }
}
