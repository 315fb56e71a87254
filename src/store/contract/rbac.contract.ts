import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import type { DenyAssignmentRow, RoleAssignmentRow, Store } from '../index.js'
import {
  DANGLING,
  DUPLICATE,
  T0,
  VM,
  principalRow,
  resourceRow,
  seedHierarchy,
  type Hierarchy,
} from './fixtures.js'

const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
const OWNER = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635'

function assignment(principalId: string, scope: string, role = READER): RoleAssignmentRow {
  return {
    name: randomUUID(),
    scope,
    scope_key: scope.toLowerCase(),
    role_definition_id: role,
    principal_id: principalId,
    principal_type: 'ServicePrincipal',
    description: null,
    condition: null,
    condition_version: null,
    created_at: T0,
    updated_at: T0,
    created_by: null,
  }
}

function denyRow(scope: string, doNotApplyToChildScopes = false): DenyAssignmentRow {
  return {
    id: randomUUID(),
    name: 'no deletes',
    scope,
    scope_key: scope.toLowerCase(),
    description: '',
    permissions: '[{"actions":["*/delete"]}]',
    principals: '[{"id":"00000000-0000-0000-0000-000000000000","type":"SystemDefined"}]',
    exclude_principals: '[]',
    do_not_apply_to_child_scopes: doNotApplyToChildScopes ? 1 : 0,
    created_at: T0,
  }
}

async function principal(store: Store): Promise<string> {
  const p = principalRow(null, null)
  await store.principals.create(p)
  return p.object_id
}

const names = (rows: { name: string }[]) => rows.map((r) => r.name).sort()

export function describeRbac(store: () => Store): void {
  describe('role definitions', () => {
    const definition = (roleName = `Role ${randomUUID()}`) => ({
      id: randomUUID().toUpperCase(),
      scope: '/subscriptions/S1',
      role_name: roleName,
      type: 'CustomRole',
      description: 'test',
      permissions: '[{"actions":["*/read"],"notActions":[],"dataActions":[],"notDataActions":[]}]',
      assignable_scopes: '["/subscriptions/S1"]',
      created_at: T0,
      updated_at: T0,
    })

    it('fetches a definition by GUID and by name in any casing', async () => {
      const d = definition()
      await store().roleDefinitions.create(d)
      const want = {
        ...d,
        id: d.id.toLowerCase(),
        scope: '/subscriptions/s1',
        role_name_key: d.role_name.toLowerCase(),
      }
      assert.deepEqual(await store().roleDefinitions.fetch(d.id), want)
      assert.deepEqual(await store().roleDefinitions.fetchByName(d.role_name.toUpperCase()), want)
      assert.equal(await store().roleDefinitions.fetchByName('no such role'), undefined)
    })

    it('rejects a second definition with the same name in another casing as Conflict', async () => {
      const d = definition()
      await store().roleDefinitions.create(d)
      await assert.rejects(
        store().roleDefinitions.create({ ...definition(d.role_name.toLowerCase()) }),
        DUPLICATE,
      )
    })

    it('updates, lists and deletes a definition', async () => {
      const d = definition()
      await store().roleDefinitions.create(d)
      const renamed = `Renamed ${randomUUID()}`
      await store().roleDefinitions.update(d.id, { role_name: renamed, updated_at: T0 + 1 })
      const got = await store().roleDefinitions.fetchByName(renamed)
      assert.equal(got?.updated_at, T0 + 1)
      assert.equal(got?.role_name_key, renamed.toLowerCase())
      const all = []
      let after: string | undefined
      do {
        const page = await store().roleDefinitions.list({ limit: 2, after })
        all.push(...page.items)
        after = page.next
      } while (after)
      assert.ok(all.some((r) => r.id === d.id.toLowerCase()))
      assert.equal(await store().roleDefinitions.delete(d.id), true)
      assert.equal(await store().roleDefinitions.delete(d.id), false)
      await assert.rejects(store().roleDefinitions.update(d.id, { description: 'x' }), {
        code: 'RoleDefinitionDoesNotExist',
      })
    })
  })

  describe('role assignments', () => {
    it('stores an assignment with its keys lower-cased', async () => {
      const p = await principal(store())
      const a = assignment(p, '/subscriptions/S1/resourceGroups/RG1')
      await store().roleAssignments.create({ ...a, name: a.name.toUpperCase() })
      assert.deepEqual(await store().roleAssignments.fetch(a.name.toUpperCase()), a)
    })

    it('rejects the same principal, role and scope under a second name as Conflict', async () => {
      const p = await principal(store())
      const a = assignment(p, '/subscriptions/s1')
      await store().roleAssignments.create(a)
      await assert.rejects(
        store().roleAssignments.create({ ...assignment(p, '/subscriptions/S1') }),
        DUPLICATE,
      )
      await store().roleAssignments.create(assignment(p, '/subscriptions/s1', OWNER))
    })

    it('rejects an assignment of a principal that does not exist as Conflict', async () => {
      await assert.rejects(
        store().roleAssignments.create(assignment(randomUUID(), '/subscriptions/s1')),
        DANGLING,
      )
    })

    it('lists by principal, by role, at scopes and below a scope', async () => {
      const h = await seedHierarchy(store())
      const p = await principal(store())
      const q = await principal(store())
      const sub = `/subscriptions/${h.subscriptionId}`
      const vm = `${h.group.id}/providers/${VM}/vm1`
      const atSub = assignment(p, sub)
      const atGroup = assignment(p, h.group.id, OWNER)
      const atVm = assignment(q, vm)
      for (const a of [atSub, atGroup, atVm]) await store().roleAssignments.create(a)
      const list = async (f: Parameters<Store['roleAssignments']['list']>[0]) =>
        names((await store().roleAssignments.list(f, { limit: 1000 })).items)

      assert.deepEqual(await list({ principalId: p.toUpperCase() }), names([atSub, atGroup]))
      assert.deepEqual(await list({ scopeKeys: [sub, h.group.key] }), names([atSub, atGroup]))
      assert.deepEqual(await list({ below: sub }), names([atGroup, atVm]))
      assert.deepEqual(await list({ scopeKeys: [sub], below: h.group.key }), names([atSub, atVm]))
      assert.deepEqual(await list({ below: sub, roleDefinitionId: OWNER }), names([atGroup]))
      assert.deepEqual(await list({ below: sub, principalId: q }), names([atVm]))
      assert.deepEqual(await list({ scopeKeys: [] }), [])
      assert.equal(await store().roleAssignments.count({ below: sub }), 2)
    })

    it('updates the description and deletes by name', async () => {
      const p = await principal(store())
      const a = assignment(p, '/subscriptions/s1')
      await store().roleAssignments.create(a)
      await store().roleAssignments.update(a.name, { description: 'why', updated_at: T0 + 5 })
      assert.equal((await store().roleAssignments.fetch(a.name))?.description, 'why')
      assert.equal(await store().roleAssignments.delete(a.name), true)
      assert.equal(await store().roleAssignments.delete(a.name), false)
      await assert.rejects(store().roleAssignments.update(a.name, { description: 'x' }), {
        code: 'RoleAssignmentNotFound',
      })
    })

    it("deletes a principal's assignments and returns them", async () => {
      const p = await principal(store())
      const rows = [assignment(p, '/subscriptions/s1'), assignment(p, '/subscriptions/s2')]
      for (const a of rows) await store().roleAssignments.create(a)
      assert.deepEqual(names(await store().roleAssignments.deleteByPrincipal(p)), names(rows))
      assert.equal(await store().roleAssignments.count({ principalId: p }), 0)
      assert.deepEqual(await store().roleAssignments.deleteByPrincipal(p), [])
    })

    it('deleting a principal removes its assignments (cascade)', async () => {
      const h = await seedHierarchy(store())
      const vm = resourceRow(h, VM, 'vm')
      await store().resources.create(vm)
      const sp = principalRow(vm)
      await store().principals.create(sp)
      const a = assignment(sp.object_id, h.group.id)
      await store().roleAssignments.create(a)
      await store().principals.delete(sp.object_id)
      assert.equal(await store().roleAssignments.fetch(a.name), undefined)
      // Through the resource too: its principal goes by cascade, and its assignments with it.
      const vm2 = resourceRow(h, VM, 'vm2')
      await store().resources.create(vm2)
      const sp2 = principalRow(vm2)
      await store().principals.create(sp2)
      const b = assignment(sp2.object_id, h.group.id)
      await store().roleAssignments.create(b)
      await store().resources.delete(vm2.key)
      assert.equal(await store().roleAssignments.fetch(b.name), undefined)
    })

    it('deletes every assignment at or below a scope, whole segments only', async () => {
      const h: Hierarchy = await seedHierarchy(store())
      const p = await principal(store())
      const sub = `/subscriptions/${h.subscriptionId}`
      const g = `${sub}/resourceGroups/rg_1`
      const inside = [
        assignment(p, g),
        assignment(p, `${g}/providers/${VM}/vm1`),
        assignment(
          p,
          `${g}/providers/Microsoft.Storage/storageAccounts/a/blobServices/default/containers/c/blobs/x/y`,
        ),
      ]
      const outside = [
        assignment(p, sub),
        assignment(p, `${sub}/resourceGroups/rg_10`),
        assignment(p, `${sub}/resourceGroups/rgx1`),
        assignment(p, `${sub}/resourceGroups/rg_1x/providers/${VM}/vm1`),
      ]
      for (const a of [...inside, ...outside]) await store().roleAssignments.create(a)
      const gone = await store().roleAssignments.deleteAtOrBelow(g.toUpperCase())
      assert.deepEqual(names(gone), names(inside))
      assert.deepEqual(
        names((await store().roleAssignments.list({ principalId: p })).items),
        names(outside),
      )
    })
  })

  describe('deny assignments', () => {
    it('stores, lists and deletes deny assignments', async () => {
      const h = await seedHierarchy(store())
      const sub = `/subscriptions/${h.subscriptionId}`
      const atSub = denyRow(sub, true)
      const atGroup = denyRow(h.group.id)
      await store().denyAssignments.create(atSub)
      await store().denyAssignments.create(atGroup)
      assert.deepEqual(await store().denyAssignments.fetch(atSub.id.toUpperCase()), atSub)
      const ids = async (f: Parameters<Store['denyAssignments']['list']>[0]) =>
        (await store().denyAssignments.list(f, { limit: 1000 })).items.map((d) => d.id).sort()
      assert.deepEqual(await ids({ scopeKeys: [sub] }), [atSub.id])
      assert.deepEqual(await ids({ below: sub }), [atGroup.id])
      assert.deepEqual(await ids({ scopeKeys: [sub], below: sub }), [atSub.id, atGroup.id].sort())
      assert.equal(await store().denyAssignments.delete(atSub.id), true)
      assert.equal(await store().denyAssignments.delete(atSub.id), false)
    })

    it('deletes the deny assignments at or below a scope', async () => {
      const h = await seedHierarchy(store())
      const sub = `/subscriptions/${h.subscriptionId}`
      const atGroup = denyRow(h.group.id)
      const atSub = denyRow(sub)
      await store().denyAssignments.create(atGroup)
      await store().denyAssignments.create(atSub)
      const gone = await store().denyAssignments.deleteAtOrBelow(h.group.key)
      assert.deepEqual(
        gone.map((d) => d.id),
        [atGroup.id],
      )
      assert.ok(await store().denyAssignments.fetch(atSub.id))
    })
  })
}
