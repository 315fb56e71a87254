// Every identity lifecycle rule (DESIGN.md, "Lifecycle rules") shown end to end through the
// API alone: resources over ARM REST, their principals through the Graph read API.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { LOCATION, startArm, type Arm } from './arm.config.js'

const VM = 'Microsoft.Compute/virtualMachines'
const SITE = 'Microsoft.Web/sites'
const SLOT = 'Microsoft.Web/sites/slots'
const TYPES = [
  VM,
  SITE,
  'Microsoft.ManagedIdentity/userAssignedIdentities',
  'Microsoft.KeyVault/vaults',
  'Microsoft.Storage/storageAccounts',
  'Keyless.Compute/workloads',
]

describe('identity lifecycle through the API', () => {
  let arm: Arm
  const rg = 'lifecycle-rg'

  const put = async (path: string, body: unknown, status = 201) => {
    const res = await arm.request('PUT', path, { body })
    assert.equal(res.status, status, `PUT ${path}: ${res.text}`)
    return res.json()
  }
  const get = async (path: string) => {
    const res = await arm.request('GET', path)
    assert.equal(res.status, 200, `GET ${path}: ${res.text}`)
    return res.json()
  }
  /** Every resource of every type in the subscription, slots included. */
  const everything = async () => {
    const out: any[] = []
    for (const type of TYPES) {
      const res = await arm.request('GET', `/subscriptions/${arm.subscriptionId}/providers/${type}`)
      assert.equal(res.status, 200, res.text)
      out.push(...res.json().value)
    }
    for (const site of out.filter((r) => r.type === SITE)) {
      out.push(...(await get(`${site.id}/slots`)).value)
    }
    return out
  }

  before(async () => {
    arm = await startArm()
    await put(arm.group(rg), { location: LOCATION })
  })
  after(async () => arm?.dispose())

  it('creates the principal of a system-assigned identity, named after the VM', async () => {
    const vm = await put(arm.resource(rg, VM, 'App-VM'), {
      location: LOCATION,
      identity: { type: 'SystemAssigned' },
    })
    const principal = await arm.principal(vm.identity.principalId)
    assert.ok(principal, 'the principal exists')
    assert.equal(principal.id, vm.identity.principalId)
    assert.equal(principal.displayName, 'App-VM')
    assert.equal(principal.servicePrincipalType, 'ManagedIdentity')
    assert.ok(principal.alternativeNames.includes(vm.id), principal.alternativeNames.join())
    assert.equal(principal.accountEnabled, true)
    const byAppId = await arm.request(
      'GET',
      `/v1.0/servicePrincipals?$filter=appId eq '${principal.appId}'`.replace(/ /g, '%20'),
      { apiVersion: null },
    )
    assert.equal(byAppId.status, 200, byAppId.text)
    assert.deepEqual(
      byAppId.json().value.map((p: { id: string }) => p.id),
      [principal.id],
    )
  })

  it('deletes the principal with the VM', async () => {
    const id = arm.resource(rg, VM, 'App-VM')
    const vm = await get(id)
    assert.equal((await arm.request('DELETE', id)).status, 200)
    assert.equal(await arm.principal(vm.identity.principalId), undefined)
  })

  it('removes the system principal when the identity type becomes None', async () => {
    const id = arm.resource(rg, VM, 'toggle-vm')
    const vm = await put(id, { location: LOCATION, identity: { type: 'SystemAssigned' } })
    const res = await arm.request('PATCH', id, { body: { identity: { type: 'None' } } })
    assert.equal(res.status, 200, res.text)
    assert.equal(res.json().identity, undefined)
    assert.equal(await arm.principal(vm.identity.principalId), undefined)
  })

  it('names a web app slot principal <app>/slots/<slot>', async () => {
    const site = await put(arm.resource(rg, SITE, 'shop'), {
      location: LOCATION,
      kind: 'app',
      identity: { type: 'SystemAssigned' },
    })
    const slot = await put(arm.resource(rg, SLOT, 'shop', 'staging'), {
      location: LOCATION,
      identity: { type: 'SystemAssigned' },
    })
    assert.equal((await arm.principal(site.identity.principalId)).displayName, 'shop')
    assert.equal((await arm.principal(slot.identity.principalId)).displayName, 'shop/slots/staging')
  })

  it('keeps a user-assigned identity and its principal when the VMs using it are deleted', async () => {
    const uami = await put(arm.identity(rg, 'shared-id'), { location: LOCATION })
    const attach = { [uami.id]: {} }
    const vm1 = await put(arm.resource(rg, VM, 'worker-1'), {
      location: LOCATION,
      identity: { type: 'UserAssigned', userAssignedIdentities: attach },
    })
    await put(arm.resource(rg, VM, 'worker-2'), {
      location: LOCATION,
      identity: { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: attach },
    })
    const app = await put(arm.resource(rg, SITE, 'portal'), {
      location: LOCATION,
      identity: { type: 'UserAssigned', userAssignedIdentities: attach },
    })
    assert.deepEqual(vm1.identity.userAssignedIdentities, {
      [uami.id]: { principalId: uami.properties.principalId, clientId: uami.properties.clientId },
    })
    assert.equal(app.identity.type, 'UserAssigned')
    assert.equal(app.identity.principalId, undefined)

    for (const name of ['worker-1', 'worker-2']) {
      assert.equal((await arm.request('DELETE', arm.resource(rg, VM, name))).status, 200)
    }
    const still = await get(arm.identity(rg, 'shared-id'))
    assert.equal(still.properties.principalId, uami.properties.principalId)
    assert.ok(await arm.principal(uami.properties.principalId), 'the principal remains')
    const portal = await get(arm.resource(rg, SITE, 'portal'))
    assert.ok(uami.id in portal.identity.userAssignedIdentities)
  })

  it('detaches a deleted user-assigned identity from every resource', async () => {
    const uami = await get(arm.identity(rg, 'shared-id'))
    await put(
      arm.resource(rg, VM, 'worker-3'),
      {
        location: LOCATION,
        identity: {
          type: 'SystemAssigned, UserAssigned',
          userAssignedIdentities: { [uami.id]: {} },
        },
      },
      201,
    )
    assert.equal((await arm.request('DELETE', arm.identity(rg, 'shared-id'))).status, 200)
    assert.equal(await arm.principal(uami.properties.principalId), undefined)
    const all = await everything()
    for (const r of all) {
      const listed = Object.keys(r.identity?.userAssignedIdentities ?? {}).map((k) =>
        k.toLowerCase(),
      )
      assert.ok(!listed.includes(uami.id.toLowerCase()), `${r.id} still lists the identity`)
    }
    const portal = all.find((r) => r.name === 'portal')
    assert.equal(portal.identity, undefined, 'a user-only identity with nothing left is None')
    const worker = all.find((r) => r.name === 'worker-3')
    assert.equal(worker.identity.type, 'SystemAssigned')
  })

  it('adds with {} and removes with null in a PATCH, keeping unlisted identities', async () => {
    const a = await put(arm.identity(rg, 'id-a'), { location: LOCATION })
    const b = await put(arm.identity(rg, 'id-b'), { location: LOCATION })
    const id = arm.resource(rg, VM, 'patch-vm')
    await put(id, {
      location: LOCATION,
      identity: { type: 'UserAssigned', userAssignedIdentities: { [a.id]: {} } },
    })
    const added = await arm.request('PATCH', id, {
      body: { identity: { type: 'UserAssigned', userAssignedIdentities: { [b.id]: {} } } },
    })
    assert.equal(added.status, 200, added.text)
    assert.deepEqual(Object.keys(added.json().identity.userAssignedIdentities).sort(), [a.id, b.id])
    const removed = await arm.request('PATCH', id, {
      body: { identity: { type: 'UserAssigned', userAssignedIdentities: { [a.id]: null } } },
    })
    assert.equal(removed.status, 200, removed.text)
    assert.deepEqual(Object.keys(removed.json().identity.userAssignedIdentities), [b.id])
  })

  it('deletes everything in a resource group with the group', async () => {
    const before = await everything()
    const mine = before.filter((r) => r.id.toLowerCase().includes(`/resourcegroups/${rg}/`))
    assert.ok(mine.length >= 5, `the group holds resources (${mine.length})`)
    const principals = mine.flatMap((r) =>
      [r.identity?.principalId, r.properties?.principalId].filter(Boolean),
    )
    assert.ok(principals.length >= 3)

    const res = await arm.request('DELETE', arm.group(rg))
    assert.equal(res.status, 202, res.text)
    assert.equal((await arm.request('HEAD', arm.group(rg))).status, 404)
    assert.deepEqual(await everything(), [])
    for (const p of principals) assert.equal(await arm.principal(p), undefined, p)
    for (const r of mine) assert.equal((await arm.request('HEAD', r.id)).status, 404, r.id)
  })
})
