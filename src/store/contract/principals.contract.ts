import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import type { Store } from '../index.js'
import {
  DANGLING,
  DUPLICATE,
  T0,
  UAI,
  VM,
  principalRow,
  resourceRow,
  seedHierarchy,
} from './fixtures.js'

export function describePrincipals(store: () => Store): void {
  describe('service principals', () => {
    it('fetches a principal by object id, by app id and by its resource in any casing', async () => {
      const h = await seedHierarchy(store())
      const vm = resourceRow(h, VM, 'vm')
      await store().resources.create(vm)
      const sp = principalRow(vm)
      await store().principals.create(sp)
      assert.deepEqual(await store().principals.fetch(sp.object_id), sp)
      assert.deepEqual(await store().principals.fetchByAppId(sp.app_id), sp)
      assert.deepEqual(await store().principals.fetchByResource(vm.id.toUpperCase()), sp)
      assert.equal(await store().principals.fetch(randomUUID()), undefined)
      assert.equal(await store().principals.fetchByAppId(randomUUID()), undefined)
      assert.equal(await store().principals.fetchByResource(`${vm.key}-none`), undefined)
    })

    it('allows any number of principals without a resource', async () => {
      const a = principalRow(null, null)
      const b = principalRow(null, null)
      await store().principals.create(a)
      await store().principals.create(b)
      assert.equal((await store().principals.fetch(b.object_id))?.resource_key, null)
    })

    it('rejects a duplicate object id, app id or owning resource as Conflict', async () => {
      const h = await seedHierarchy(store())
      const vm = resourceRow(h, VM, 'vm')
      await store().resources.create(vm)
      const sp = principalRow(vm)
      await store().principals.create(sp)
      const fresh = principalRow(null)
      await assert.rejects(
        store().principals.create({ ...fresh, object_id: sp.object_id }),
        DUPLICATE,
      )
      await assert.rejects(store().principals.create({ ...fresh, app_id: sp.app_id }), DUPLICATE)
      const sameResource = { ...fresh, resource_key: vm.key.toUpperCase() }
      await assert.rejects(store().principals.create(sameResource), DUPLICATE)
    })

    it('rejects a principal owned by a resource that does not exist as Conflict', async () => {
      const h = await seedHierarchy(store())
      await assert.rejects(
        store().principals.create(principalRow(resourceRow(h, VM, 'gone'))),
        DANGLING,
      )
    })

    it('deletes a principal and reports whether it existed', async () => {
      const sp = principalRow(null, null)
      await store().principals.create(sp)
      assert.equal(await store().principals.delete(sp.object_id), true)
      assert.equal(await store().principals.fetch(sp.object_id), undefined)
      assert.equal(await store().principals.delete(sp.object_id), false)
    })

    it('deleting a resource removes the principal it owns', async () => {
      const h = await seedHierarchy(store())
      const vm = resourceRow(h, VM, 'vm')
      await store().resources.create(vm)
      const sp = principalRow(vm)
      await store().principals.create(sp)
      await store().resources.delete(vm.key)
      assert.equal(await store().principals.fetch(sp.object_id), undefined)
    })
  })

  describe('identity attachments', () => {
    async function seedAttachable() {
      const h = await seedHierarchy(store())
      const [vm1, vm2, id1, id2] = [
        resourceRow(h, VM, 'vm1'),
        resourceRow(h, VM, 'vm2'),
        resourceRow(h, UAI, 'id1'),
        resourceRow(h, UAI, 'id2'),
      ]
      for (const row of [vm1, vm2, id1, id2]) await store().resources.create(row)
      const attach = (vm: typeof vm1, id: typeof id1) =>
        store().attachments.create({ resource_key: vm.key, identity_key: id.key, created_at: T0 })
      await attach(vm1, id1)
      await attach(vm1, id2)
      await attach(vm2, id1)
      return { vm1, vm2, id1, id2 }
    }

    it('lists the identities of a resource and the resources of an identity', async () => {
      const { vm1, vm2, id1, id2 } = await seedAttachable()
      const byResource = await store().attachments.listByResource(vm1.id.toUpperCase())
      assert.deepEqual(byResource, [
        { resource_key: vm1.key, identity_key: id1.key, created_at: T0, selectors: null },
        { resource_key: vm1.key, identity_key: id2.key, created_at: T0, selectors: null },
      ])
      const byIdentity = await store().attachments.listByIdentity(id1.id)
      assert.deepEqual(
        byIdentity.map((a) => a.resource_key),
        [vm1.key, vm2.key],
      )
      assert.deepEqual(await store().attachments.listByIdentity(`${id1.key}-none`), [])
    })

    it("replaces an attachment's process selectors, and says when there is no attachment", async () => {
      const { vm1, vm2, id1, id2 } = await seedAttachable()
      const text = '{"uid":[1000],"exe":["/usr/bin/node"]}'
      assert.equal(
        await store().attachments.updateSelectors(vm1.id, id1.id.toUpperCase(), text),
        true,
      )
      assert.equal(await store().attachments.updateSelectors(vm2.key, id2.key, text), false)
      const rows = await store().attachments.listByResource(vm1.key)
      assert.deepEqual(
        rows.map((r) => r.selectors),
        [text, null],
      )
      assert.equal(await store().attachments.updateSelectors(vm1.key, id1.key, null), true)
      assert.equal((await store().attachments.listByResource(vm1.key))[0]!.selectors, null)
    })

    it('rejects attaching the same identity twice as Conflict', async () => {
      const { vm1, id1 } = await seedAttachable()
      const again = { resource_key: vm1.id, identity_key: id1.id.toUpperCase(), created_at: T0 }
      await assert.rejects(store().attachments.create(again), DUPLICATE)
    })

    it('rejects attaching an identity that does not exist as Conflict', async () => {
      const { vm1, id1 } = await seedAttachable()
      const row = { resource_key: vm1.key, identity_key: `${id1.key}-gone`, created_at: T0 }
      await assert.rejects(store().attachments.create(row), DANGLING)
    })

    it('deletes one attachment, or all of a resource or of an identity, with counts', async () => {
      const { vm1, vm2, id1, id2 } = await seedAttachable()
      assert.equal(await store().attachments.delete(vm1.id, id2.id), true)
      assert.equal(await store().attachments.delete(vm1.key, id2.key), false)
      assert.equal(await store().attachments.deleteByIdentity(id1.id.toUpperCase()), 2)
      assert.deepEqual(await store().attachments.listByResource(vm2.key), [])
      await store().attachments.create({
        resource_key: vm2.key,
        identity_key: id2.key,
        created_at: T0,
      })
      assert.equal(await store().attachments.deleteByResource(vm2.id), 1)
      assert.equal(await store().attachments.deleteByResource(vm2.id), 0)
    })

    it('deleting a resource removes its attachments on either side', async () => {
      const { vm1, vm2, id1, id2 } = await seedAttachable()
      await store().resources.delete(id1.key)
      assert.deepEqual(await store().attachments.listByResource(vm2.key), [])
      await store().resources.delete(vm1.key)
      assert.deepEqual(await store().attachments.listByIdentity(id2.key), [])
    })
  })

  describe('client secrets', () => {
    const secret = (appId: string, createdAt = T0) => ({
      id: randomUUID(),
      app_id: appId,
      secret_hash: 'ab'.repeat(32),
      created_at: createdAt,
      expires_at: createdAt + 1000,
    })

    it('lists the secrets of an app oldest first and deletes them with a count', async () => {
      const sp = principalRow(null, null)
      await store().principals.create(sp)
      const newer = secret(sp.app_id, T0 + 1)
      const older = { ...secret(sp.app_id), expires_at: null }
      await store().clientSecrets.create(newer)
      await store().clientSecrets.create(older)
      assert.deepEqual(await store().clientSecrets.listByAppId(sp.app_id), [older, newer])
      assert.equal(await store().clientSecrets.deleteByAppId(sp.app_id), 2)
      assert.deepEqual(await store().clientSecrets.listByAppId(sp.app_id), [])
    })

    it('rejects a secret for an app that does not exist as Conflict', async () => {
      await assert.rejects(store().clientSecrets.create(secret(randomUUID())), DANGLING)
    })

    it('deleting a principal removes its client secrets', async () => {
      const sp = principalRow(null, null)
      await store().principals.create(sp)
      await store().clientSecrets.create(secret(sp.app_id))
      await store().principals.delete(sp.object_id)
      assert.deepEqual(await store().clientSecrets.listByAppId(sp.app_id), [])
    })

    it("deleting a resource removes its principal and that principal's secrets", async () => {
      const h = await seedHierarchy(store())
      const vm = resourceRow(h, VM, 'vm')
      await store().resources.create(vm)
      const sp = principalRow(vm)
      await store().principals.create(sp)
      await store().clientSecrets.create(secret(sp.app_id))
      await store().resources.delete(vm.key)
      assert.deepEqual(await store().clientSecrets.listByAppId(sp.app_id), [])
    })
  })
}
