import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import type { Store } from '../index.js'
import { DANGLING, DUPLICATE, T0, VM, resourceRow, seedHierarchy } from './fixtures.js'

export function describeHierarchy(store: () => Store): void {
  describe('tenants and subscriptions', () => {
    it('creates a tenant, fetches it by id and lists it', async () => {
      const tenant = { id: randomUUID(), display_name: 'Fabrikam', created_at: T0 }
      await store().tenants.create(tenant)
      assert.deepEqual(await store().tenants.fetch(tenant.id), tenant)
      const all = await store().tenants.list()
      assert.deepEqual(
        all.find((t) => t.id === tenant.id),
        tenant,
      )
      assert.deepEqual(
        all.map((t) => t.id),
        [...all.map((t) => t.id)].sort(),
      )
    })

    it('fetches undefined for a tenant that does not exist', async () => {
      assert.equal(await store().tenants.fetch(randomUUID()), undefined)
    })

    it('rejects a second tenant with the same id as Conflict', async () => {
      const tenant = { id: randomUUID(), display_name: 'Fabrikam', created_at: T0 }
      await store().tenants.create(tenant)
      await assert.rejects(store().tenants.create(tenant), DUPLICATE)
    })

    it('fetches a subscription by its id in any casing', async () => {
      const h = await seedHierarchy(store())
      const fetched = await store().subscriptions.fetch(h.subscriptionId.toUpperCase())
      assert.equal(fetched?.id, h.subscriptionId)
      assert.equal(fetched?.tenant_id, h.tenantId)
      assert.equal(fetched?.state, 'Enabled')
      assert.equal(typeof fetched?.created_at, 'number')
    })

    it('lists only the subscriptions of the given tenant', async () => {
      const a = await seedHierarchy(store())
      await seedHierarchy(store())
      const list = await store().subscriptions.list(a.tenantId)
      assert.deepEqual(
        list.map((s) => s.id),
        [a.subscriptionId],
      )
    })

    it('rejects a subscription of a tenant that does not exist as Conflict', async () => {
      const row = {
        id: randomUUID(),
        tenant_id: randomUUID(),
        display_name: 'x',
        state: 'Enabled',
        created_at: T0,
      }
      await assert.rejects(store().subscriptions.create(row), DANGLING)
    })
  })

  describe('resource groups', () => {
    it('fetches a group by its key in any casing and keeps the casing of its id', async () => {
      const { group } = await seedHierarchy(store())
      assert.deepEqual(await store().resourceGroups.fetch(group.id.toUpperCase()), group)
      assert.deepEqual(await store().resourceGroups.fetch(group.key), group)
      assert.notEqual(group.id, group.key)
    })

    it('lists the groups of a subscription by key', async () => {
      const h = await seedHierarchy(store())
      const second = { ...h.group, id: `${h.group.id}-b`, key: `${h.group.key}-b`, name: 'b' }
      await store().resourceGroups.create(second)
      const page = await store().resourceGroups.list(h.subscriptionId.toUpperCase())
      assert.deepEqual(page, { items: [h.group, second] })
    })

    it('rejects a group whose key differs from an existing one only in casing as Conflict', async () => {
      const { group } = await seedHierarchy(store())
      const clash = { ...group, id: group.id.toUpperCase(), key: group.key.toUpperCase() }
      await assert.rejects(store().resourceGroups.create(clash), DUPLICATE)
    })

    it('rejects a group of a subscription that does not exist as Conflict', async () => {
      const { group } = await seedHierarchy(store())
      const orphan = { ...group, key: `${group.key}-x`, subscription_id: randomUUID() }
      await assert.rejects(store().resourceGroups.create(orphan), DANGLING)
    })

    it('updates location, tags, managed_by and updated_at', async () => {
      const { group } = await seedHierarchy(store())
      const changes = {
        location: 'northeurope',
        tags: '{"a":"b"}',
        managed_by: '/subscriptions/x',
        updated_at: T0 + 1,
      }
      await store().resourceGroups.update(group.id, changes)
      assert.deepEqual(await store().resourceGroups.fetch(group.key), { ...group, ...changes })
    })

    it('throws NotFound when updating a group that does not exist', async () => {
      const expected = {
        name: 'NotFound',
        code: 'ResourceGroupNotFound',
        message: 'the resource group does not exist',
      }
      const missing = `/subscriptions/${randomUUID()}/resourceGroups/none`
      await assert.rejects(store().resourceGroups.update(missing, { location: 'x' }), expected)
      await assert.rejects(store().resourceGroups.update(missing, {}), expected)
    })

    it('deletes a group and reports whether it existed', async () => {
      const { group } = await seedHierarchy(store())
      assert.equal(await store().resourceGroups.delete(group.id), true)
      assert.equal(await store().resourceGroups.fetch(group.key), undefined)
      assert.equal(await store().resourceGroups.delete(group.key), false)
    })

    it('refuses to delete a group that still holds resources, as Conflict', async () => {
      const h = await seedHierarchy(store())
      await store().resources.create(resourceRow(h, VM, 'vm1'))
      await assert.rejects(store().resourceGroups.delete(h.group.key), DANGLING)
      assert.notEqual(await store().resourceGroups.fetch(h.group.key), undefined)
    })
  })
}
