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
  signingKeyRow,
} from './fixtures.js'

export function describeTransactions(store: () => Store): void {
  describe('transactions', () => {
    it('commits every write of a transaction together and returns the callback value', async () => {
      const result = await store().transaction(async (tx) => {
        const h = await seedHierarchy(tx)
        await tx.resources.create(resourceRow(h, VM, 'vm'))
        return h
      })
      assert.deepEqual(await store().resourceGroups.fetch(result.group.key), result.group)
      assert.equal(await store().resources.count({ groupKey: result.group.key }), 1)
    })

    it('leaves nothing behind when the callback throws after several writes', async () => {
      const lastEvent = await store().events.last()
      const boom = new Error('boom')
      const written: Record<string, string> = {}
      const attempt = store().transaction(async (tx) => {
        const h = await seedHierarchy(tx)
        const vm = resourceRow(h, VM, 'vm')
        const uai = resourceRow(h, UAI, 'id')
        await tx.resources.create(vm)
        await tx.resources.create(uai)
        await tx.attachments.create({ resource_key: vm.key, identity_key: uai.key, created_at: T0 })
        const sp = principalRow(vm)
        await tx.principals.create(sp)
        const secret = { id: randomUUID(), secret_hash: 'x', created_at: T0, expires_at: null }
        await tx.clientSecrets.create({ ...secret, app_id: sp.app_id })
        const key = signingKeyRow(T0 + 1e10)
        await tx.signingKeys.create(key)
        await tx.events.append({ at: T0, kind: 'resource.created', subject: vm.key, data: '{}' })
        Object.assign(written, { tenant: h.tenantId, sub: h.subscriptionId, group: h.group.key })
        Object.assign(written, { vm: vm.key, uai: uai.key, sp: sp.object_id, app: sp.app_id })
        Object.assign(written, { kid: key.kid })
        throw boom
      })
      await assert.rejects(attempt, (error) => error === boom)
      const s = store()
      assert.equal(await s.tenants.fetch(written.tenant!), undefined)
      assert.equal(await s.subscriptions.fetch(written.sub!), undefined)
      assert.equal(await s.resourceGroups.fetch(written.group!), undefined)
      assert.equal(await s.resources.fetch(written.vm!), undefined)
      assert.deepEqual(await s.attachments.listByIdentity(written.uai!), [])
      assert.equal(await s.principals.fetch(written.sp!), undefined)
      assert.deepEqual(await s.clientSecrets.listByAppId(written.app!), [])
      assert.ok(!(await s.signingKeys.list()).some((k) => k.kid === written.kid))
      assert.equal(await s.events.last(), lastEvent)
    })

    it('surfaces a unique violation as Conflict and undoes the earlier writes', async () => {
      const tenant = { id: randomUUID(), display_name: 't', created_at: T0 }
      const attempt = store().transaction(async (tx) => {
        await tx.tenants.create(tenant)
        await tx.tenants.create({ ...tenant, display_name: 'again' })
      })
      await assert.rejects(attempt, DUPLICATE)
      assert.equal(await store().tenants.fetch(tenant.id), undefined)
    })

    it('surfaces a foreign key violation as Conflict and undoes the earlier writes', async () => {
      const tenant = { id: randomUUID(), display_name: 't', created_at: T0 }
      const attempt = store().transaction(async (tx) => {
        await tx.tenants.create(tenant)
        const sub = { id: randomUUID(), display_name: 's', state: 'Enabled', created_at: T0 }
        await tx.subscriptions.create({ ...sub, tenant_id: randomUUID() })
      })
      await assert.rejects(attempt, DANGLING)
      assert.equal(await store().tenants.fetch(tenant.id), undefined)
    })

    it('lets domain errors thrown by a repository pass through unchanged', async () => {
      const attempt = store().transaction((tx) =>
        tx.resources.update(`/subscriptions/${randomUUID()}/x`, { tags: '{}' }),
      )
      await assert.rejects(attempt, { name: 'NotFound', code: 'ResourceNotFound' })
    })

    it('runs concurrent transactions and plain calls to completion', async () => {
      const ids = Array.from({ length: 8 }, () => randomUUID())
      await Promise.all([
        ...ids.map((id) =>
          store().transaction(async (tx) => {
            await tx.tenants.create({ id, display_name: 'a', created_at: T0 })
            await tx.events.append({ at: T0, kind: 'tenant.created', subject: id, data: '{}' })
          }),
        ),
        store().tenants.list(),
      ])
      for (const id of ids) assert.notEqual(await store().tenants.fetch(id), undefined)
    })
  })
}
