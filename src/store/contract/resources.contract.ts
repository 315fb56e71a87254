import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Store } from '../index.js'
import {
  DANGLING,
  DUPLICATE,
  SITE,
  SLOT,
  T0,
  UAI,
  VM,
  resourceRow,
  seedHierarchy,
} from './fixtures.js'

export function describeResources(store: () => Store): void {
  describe('resources', () => {
    it('stores every column as given and fetches it by key in any casing', async () => {
      const h = await seedHierarchy(store())
      const vm = {
        ...resourceRow(h, VM, 'Web-01'),
        host_id: 'host-1',
        kind: 'linux',
        identity_selectors: '{"uid":[0]}',
      }
      await store().resources.create(vm)
      const fetched = await store().resources.fetch(vm.id.toUpperCase())
      assert.deepEqual(fetched, vm)
      assert.equal(typeof fetched?.created_at, 'number')
      assert.match(fetched?.id ?? '', /Web-01$/)
    })

    it('lower-cases the keys the caller passes', async () => {
      const h = await seedHierarchy(store())
      const vm = resourceRow(h, VM, 'Mixed')
      await store().resources.create({
        ...vm,
        key: vm.id,
        type_key: vm.type,
        group_key: h.group.id,
      })
      assert.deepEqual(await store().resources.fetch(vm.key), vm)
    })

    it('lists the resources a host runs, and those placed on no host', async () => {
      const h = await seedHierarchy(store())
      const on = (name: string, host: string | null) => ({
        ...resourceRow(h, VM, name),
        host_id: host,
      })
      const rows = [on('a1', 'host-a'), on('a2', 'host-a'), on('b1', 'host-b'), on('n1', null)]
      for (const r of rows) await store().resources.create(r)
      const names = async (hostId: string | null) =>
        (await store().resources.list({ groupKey: h.group.key, hostId })).items.map((r) => r.name)
      assert.deepEqual(await names('host-a'), ['a1', 'a2'])
      assert.deepEqual(await names('host-b'), ['b1'])
      assert.deepEqual(await names(null), ['n1'])
      assert.deepEqual(await names('host-c'), [])
    })

    it('fetches undefined for a resource that does not exist', async () => {
      const h = await seedHierarchy(store())
      assert.equal(await store().resources.fetch(`${h.group.key}/providers/x/y/z`), undefined)
    })

    it('rejects a resource whose key differs from an existing one only in casing as Conflict', async () => {
      const h = await seedHierarchy(store())
      const vm = resourceRow(h, VM, 'vm')
      await store().resources.create(vm)
      await assert.rejects(
        store().resources.create({ ...vm, key: vm.key.toUpperCase() }),
        DUPLICATE,
      )
    })

    it('rejects a resource in a group that does not exist as Conflict', async () => {
      const h = await seedHierarchy(store())
      const vm = { ...resourceRow(h, VM, 'vm'), group_key: `${h.group.key}-missing` }
      await assert.rejects(store().resources.create(vm), DANGLING)
    })

    it('lists and counts by subscription, group, type and parent, each case-insensitively', async () => {
      const h = await seedHierarchy(store())
      const vm = resourceRow(h, VM, 'vm')
      const site = resourceRow(h, SITE, 'app')
      const slot = resourceRow(h, SLOT, 'staging', site)
      const uai = resourceRow(h, UAI, 'id1')
      for (const row of [vm, site, slot, uai]) await store().resources.create(row)
      const cases = [
        { filter: { subscriptionId: h.subscriptionId.toUpperCase() }, rows: [site, slot, uai, vm] },
        { filter: { groupKey: h.group.id }, rows: [site, slot, uai, vm] },
        { filter: { groupKey: h.group.key, typeKey: VM }, rows: [vm] },
        { filter: { groupKey: h.group.key, typeKey: SITE.toUpperCase() }, rows: [site] },
        { filter: { parentKey: site.id }, rows: [slot] },
        { filter: { groupKey: h.group.key, typeKey: 'microsoft.web/none' }, rows: [] },
      ]
      for (const { filter, rows } of cases) {
        const expected = rows.map((r) => r.key).sort()
        const page = await store().resources.list(filter)
        assert.deepEqual(page.items.map((r) => r.key).sort(), expected, JSON.stringify(filter))
        assert.equal(page.next, undefined)
        assert.equal(await store().resources.count(filter), rows.length, JSON.stringify(filter))
      }
      assert.ok((await store().resources.count({})) >= 4)
    })

    it('updates the given columns and leaves the others', async () => {
      const h = await seedHierarchy(store())
      const vm = resourceRow(h, VM, 'vm')
      await store().resources.create(vm)
      const changes = {
        tags: '{"a":"1"}',
        properties: '{}',
        host_id: 'h2',
        identity_selectors: '{"gid":[5]}',
        updated_at: T0 + 5,
      }
      await store().resources.update(vm.id.toUpperCase(), changes)
      assert.deepEqual(await store().resources.fetch(vm.key), { ...vm, ...changes })
    })

    it('throws NotFound when updating a resource that does not exist', async () => {
      const h = await seedHierarchy(store())
      const missing = resourceRow(h, VM, 'missing')
      const expected = {
        name: 'NotFound',
        code: 'ResourceNotFound',
        message: 'the resource does not exist',
      }
      await assert.rejects(store().resources.update(missing.key, { tags: '{}' }), expected)
      await assert.rejects(store().resources.update(missing.key, {}), expected)
    })

    it('deletes a resource and reports whether it existed', async () => {
      const h = await seedHierarchy(store())
      const vm = resourceRow(h, VM, 'vm')
      await store().resources.create(vm)
      assert.equal(await store().resources.delete(vm.id), true)
      assert.equal(await store().resources.fetch(vm.key), undefined)
      assert.equal(await store().resources.delete(vm.key), false)
    })

    it('refuses to delete a web app that still has slots, as Conflict', async () => {
      const h = await seedHierarchy(store())
      const site = resourceRow(h, SITE, 'app')
      const slot = resourceRow(h, SLOT, 'staging', site)
      await store().resources.create(site)
      await store().resources.create(slot)
      await assert.rejects(store().resources.delete(site.key), DANGLING)
      assert.equal(await store().resources.delete(slot.key), true)
      assert.equal(await store().resources.delete(site.key), true)
    })
  })
}
