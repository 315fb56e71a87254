// The identity lifecycle through the directory, on a real store: the same suite runs on SQLite
// and PostgreSQL (directory-sqlite.test.ts, directory-postgres.test.ts).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { parseResourceId, type ResourceId } from '../../domain/resource-id.js'
import type { Store } from '../../store/store.js'
import { bootstrapInstallation } from '../bootstrap.js'
import { createDirectory } from '../create-directory.js'
import type { Directory } from '../directory.js'

export function runLifecycleContract(name: string, open: () => Promise<Store>): void {
  describe(`identity lifecycle (${name})`, () => {
    let store: Store
    let dir: Directory
    let sub: string
    const rg = (g: string) => `/subscriptions/${sub}/resourceGroups/${g}`
    const vmId = (g: string, n: string) =>
      parseResourceId(`${rg(g)}/providers/Microsoft.Compute/virtualMachines/${n}`)
    const uamiId = (g: string, n: string) =>
      parseResourceId(`${rg(g)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${n}`)
    const siteId = (g: string, n: string) =>
      parseResourceId(`${rg(g)}/providers/Microsoft.Web/sites/${n}`)
    const group = async () => {
      const g = `rg-${randomUUID().slice(0, 8)}`
      await dir.putResourceGroup(sub, g, { location: 'eastus' })
      return g
    }
    const put = (id: ResourceId, identity?: unknown) =>
      dir.putResource(id, { location: 'eastus', identity })
    const snapshot = async () => ({
      events: await store.events.last(),
      principals: (await store.principals.list({ limit: 1000 })).items.length,
      resources: await store.resources.count({ subscriptionId: sub }),
    })

    before(async () => {
      store = await open()
      const inst = await bootstrapInstallation(store, {
        now: 1,
        issueSecret: false,
        generateSecret: () => 'x',
        hashSecret: (x) => x,
      })
      sub = inst.subscriptionId
      dir = createDirectory({ store, clock: { now: () => Date.now() }, tenantId: inst.tenantId })
    })
    after(async () => store?.close())

    it('creates a principal named after a VM when its system-assigned identity is enabled', async () => {
      const g = await group()
      const { resource, created } = await put(vmId(g, 'vm1'), { type: 'SystemAssigned' })
      assert.ok(created)
      assert.equal(resource.identity?.type, 'SystemAssigned')
      const p = await dir.getPrincipal(resource.identity!.principalId!)
      assert.equal(p?.displayName, 'vm1')
      assert.equal(p?.servicePrincipalType, 'ManagedIdentity')
      assert.equal(p?.resourceId, resource.id)
      assert.deepEqual(p?.alternativeNames, ['isExplicit=False', resource.id])
      assert.equal(resource.identity?.tenantId, dir.tenantId)
      assert.deepEqual(await dir.findPrincipalByAppId(p!.appId), p)
    })

    // The database would delete the principal anyway (ON DELETE CASCADE on resource_key), but
    // silently: only the directory's own delete writes the event that agents and RBAC indexes
    // follow. Asserting the event makes this fail if the directory leaves it to the cascade.
    const principalDeletions = async (from: number) =>
      (await store.events.list(from))
        .filter((e) => e.kind === 'principal.deleted')
        .map((e) => e.subject)

    it('deletes the system-assigned principal with its VM, with its event', async () => {
      const g = await group()
      const { resource } = await put(vmId(g, 'vm2'), { type: 'SystemAssigned' })
      const from = await store.events.last()
      assert.equal(await dir.deleteResource(vmId(g, 'VM2')), true)
      assert.equal(await dir.getPrincipal(resource.identity!.principalId!), undefined)
      assert.deepEqual(await principalDeletions(from), [resource.identity!.principalId])
      assert.equal(await dir.deleteResource(vmId(g, 'vm2')), false)
    })

    it('names a slot principal <app>/slots/<slot> and deletes slots with their site', async () => {
      const g = await group()
      await put(siteId(g, 'app1'), { type: 'SystemAssigned' })
      const slot = parseResourceId(`${siteId(g, 'app1').id}/slots/staging`)
      const { resource } = await put(slot, { type: 'SystemAssigned' })
      const p = await dir.getPrincipal(resource.identity!.principalId!)
      assert.equal(p?.displayName, 'app1/slots/staging')
      await dir.deleteResource(siteId(g, 'app1'))
      assert.equal(await dir.getPrincipal(resource.identity!.principalId!), undefined)
      await assert.rejects(dir.getResource(slot), { code: 'ResourceNotFound' })
    })

    it('keeps a user-assigned identity when every resource holding it is deleted, and detaches it everywhere when it is deleted', async () => {
      const g = await group()
      const { resource: id } = await put(uamiId(g, 'shared-id'))
      const ua = { type: 'UserAssigned', userAssignedIdentities: { [id.id]: {} } }
      await put(vmId(g, 'a'), ua)
      await put(vmId(g, 'b'), ua)
      const { resource: site } = await put(siteId(g, 'web'), {
        ...ua,
        type: 'SystemAssigned, UserAssigned',
      })
      assert.deepEqual(site.identity?.userAssignedIdentities, {
        [id.id]: { principalId: id.principal!.principalId, clientId: id.principal!.clientId },
      })
      await dir.deleteResource(vmId(g, 'a'))
      await dir.deleteResource(vmId(g, 'b'))
      assert.ok(await dir.getPrincipal(id.principal!.principalId))
      assert.equal(
        (await dir.getResource(uamiId(g, 'shared-id'))).principal?.clientId,
        id.principal!.clientId,
      )
      await dir.deleteResource(uamiId(g, 'shared-id'))
      const after = await dir.getResource(siteId(g, 'web'))
      assert.equal(after.identity?.type, 'SystemAssigned')
      assert.equal(after.identity?.userAssignedIdentities, undefined)
      assert.equal(await dir.getPrincipal(id.principal!.principalId), undefined)
    })

    it('deletes the system principal when the type drops it and creates a fresh one when re-enabled', async () => {
      const g = await group()
      const { resource: id } = await put(uamiId(g, 'id1'))
      const { resource: first } = await put(vmId(g, 'v'), { type: 'SystemAssigned' })
      const oldPid = first.identity!.principalId!
      const patched = await dir.patchResource(vmId(g, 'v'), {
        identity: { type: 'UserAssigned', userAssignedIdentities: { [id.id]: {} } },
      })
      assert.equal(patched.identity?.type, 'UserAssigned')
      assert.equal(await dir.getPrincipal(oldPid), undefined)
      const again = await dir.patchResource(vmId(g, 'v'), {
        identity: { type: 'SystemAssigned, UserAssigned' },
      })
      assert.notEqual(again.identity?.principalId, oldPid)
      assert.ok(again.identity?.userAssignedIdentities?.[id.id])
    })

    it('removes only the identity patched with null', async () => {
      const g = await group()
      const { resource: i1 } = await put(uamiId(g, 'one'))
      const { resource: i2 } = await put(uamiId(g, 'two'))
      await put(vmId(g, 'v'), {
        type: 'UserAssigned',
        userAssignedIdentities: { [i1.id]: {}, [i2.id]: {} },
      })
      const r = await dir.patchResource(vmId(g, 'v'), {
        identity: { userAssignedIdentities: { [i2.id.toUpperCase()]: null } },
      })
      assert.deepEqual(Object.keys(r.identity?.userAssignedIdentities ?? {}), [i1.id])
    })

    it('deletes everything in a resource group, identities and principals included', async () => {
      const g = await group()
      const { resource: id } = await put(uamiId(g, 'gid'))
      const { resource: vm } = await put(vmId(g, 'gvm'), {
        type: 'SystemAssigned, UserAssigned',
        userAssignedIdentities: { [id.id]: {} },
      })
      const { resource: site } = await put(siteId(g, 'gsite'), { type: 'SystemAssigned' })
      const { resource: slot } = await put(parseResourceId(`${siteId(g, 'gsite').id}/slots/s1`), {
        type: 'SystemAssigned',
      })
      const from = await store.events.last()
      assert.equal(await dir.deleteResourceGroup(sub, g.toUpperCase()), true)
      assert.deepEqual(
        (await principalDeletions(from)).sort(),
        [
          vm.identity!.principalId,
          id.principal!.principalId,
          site.identity!.principalId,
          slot.identity!.principalId,
        ].sort(),
        'every principal deleted with the group has its event',
      )
      assert.equal(await store.resources.count({ groupKey: rg(g).toLowerCase() }), 0)
      assert.equal(await dir.getPrincipal(vm.identity!.principalId!), undefined)
      assert.equal(await dir.getPrincipal(id.principal!.principalId), undefined)
      await assert.rejects(dir.getResourceGroup(sub, g), { code: 'ResourceGroupNotFound' })
      assert.equal(await dir.deleteResourceGroup(sub, g), false)
    })

    it('changes nothing when an attached identity does not exist', async () => {
      const g = await group()
      const before = await snapshot()
      const missing = uamiId(g, 'nope').id
      await assert.rejects(
        put(vmId(g, 'bad'), {
          type: 'SystemAssigned, UserAssigned',
          userAssignedIdentities: { [missing]: {} },
        }),
        { code: 'FailedIdentityOperation', status: 400 },
      )
      assert.deepEqual(await snapshot(), before)
    })

    it('changes nothing on an invalid identity type, id or name', async () => {
      const g = await group()
      const before = await snapshot()
      await assert.rejects(put(vmId(g, 'v'), { type: 'Everything' }), {
        code: 'InvalidIdentityType',
      })
      await assert.rejects(
        put(vmId(g, 'v'), {
          type: 'UserAssigned',
          userAssignedIdentities: { [vmId(g, 'x').id]: {} },
        }),
        { code: 'LinkedInvalidPropertyId' },
      )
      await assert.rejects(put(vmId(g, 'bad..name-'), { type: 'SystemAssigned' }), {
        code: 'InvalidResourceName',
      })
      await assert.rejects(put(uamiId(g, 'id1'), { type: 'SystemAssigned' }), {
        code: 'IdentityNotSupported',
      })
      await assert.rejects(put(vmId('missing-group', 'v')), { code: 'ResourceGroupNotFound' })
      assert.deepEqual(await snapshot(), before)
    })

    it('finds resources by any casing and returns the casing of their creation', async () => {
      const g = await group()
      await put(vmId(g, 'MixedCase'), { type: 'SystemAssigned' })
      const got = await dir.getResource(parseResourceId(vmId(g, 'MixedCase').id.toLowerCase()))
      assert.equal(got.id, vmId(g, 'MixedCase').id)
      assert.equal(got.type, 'Microsoft.Compute/virtualMachines')
      assert.equal(got.name, 'MixedCase')
    })

    it('records every change in the event log in order', async () => {
      const g = await group()
      const from = await store.events.last()
      const { resource } = await put(vmId(g, 'ev'), { type: 'SystemAssigned' })
      await dir.deleteResource(vmId(g, 'ev'))
      const kinds = (await store.events.list(from)).map((e) => `${e.kind} ${e.subject}`)
      const pid = resource.identity!.principalId!
      assert.deepEqual(kinds, [
        `resource.created ${resource.id.toLowerCase()}`,
        `principal.created ${pid}`,
        `principal.deleted ${pid}`,
        `resource.deleted ${resource.id.toLowerCase()}`,
      ])
    })

    it('deletes role assignments with their principal or their scope, in the same transaction', async () => {
      const [g, other] = [await group(), await group()]
      const { resource: id } = await put(uamiId(g, 'ra-id'))
      const { resource: vm } = await put(vmId(g, 'ra-vm'), { type: 'SystemAssigned' })
      const someone = randomUUID()
      await store.principals.create({
        object_id: someone,
        app_id: randomUUID(),
        tenant_id: dir.tenantId,
        display_name: 'someone',
        principal_type: 'Application',
        identity_kind: null,
        alternative_names: '[]',
        resource_key: null,
        created_at: 1,
      })
      const assign = async (principalId: string, scope: string) => {
        const name = randomUUID()
        await store.roleAssignments.create({
          name,
          scope,
          scope_key: scope.toLowerCase(),
          role_definition_id: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
          principal_id: principalId,
          principal_type: 'ServicePrincipal',
          description: null,
          condition: null,
          condition_version: null,
          created_at: 1,
          updated_at: 1,
          created_by: null,
        })
        return name
      }
      const vmPid = vm.identity!.principalId!
      const idPid = id.principal!.principalId
      const vmAtGroup = await assign(vmPid, rg(g))
      const someoneAtVm = await assign(someone, `${vm.id}/extensions/ext1`)
      const idAtOther = await assign(idPid, rg(other))
      const someoneAtGroup = await assign(someone, rg(g))
      const someoneAtOther = await assign(someone, rg(other))
      const exists = async (name: string) => (await store.roleAssignments.fetch(name)) !== undefined

      const from = await store.events.last()
      await dir.deleteResource(vmId(g, 'ra-vm'))
      assert.equal(await exists(vmAtGroup), false)
      assert.equal(await exists(someoneAtVm), false)
      const kinds = (await store.events.list(from)).map((e) => `${e.kind} ${e.subject}`)
      assert.deepEqual(kinds, [
        `roleAssignment.deleted ${vmAtGroup}`,
        `principal.deleted ${vmPid}`,
        `roleAssignment.deleted ${someoneAtVm}`,
        `resource.deleted ${vm.id.toLowerCase()}`,
      ])

      await dir.deleteResource(uamiId(g, 'ra-id'))
      assert.equal(await exists(idAtOther), false)
      await dir.deleteResourceGroup(sub, g)
      assert.equal(await exists(someoneAtGroup), false)
      assert.equal(await exists(someoneAtOther), true)
      assert.equal(await store.roleAssignments.count({ principalId: vmPid }), 0)
      assert.equal(await store.roleAssignments.count({ principalId: idPid }), 0)
    })
  })
}
