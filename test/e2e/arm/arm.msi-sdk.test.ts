// The real @azure/arm-msi client, authenticated by ClientSecretCredential from endpoints.json,
// drives user-assigned identities end to end and reads a resource's system-assigned identity
// (reference §3.2). The test run trusts Keyless's CA through NODE_EXTRA_CA_CERTS.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ClientSecretCredential } from '@azure/identity'
import { ManagedServiceIdentityClient, type Identity } from '@azure/arm-msi'
import { LOCATION, startArm, type Arm } from './arm.config.js'

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

describe('the @azure/arm-msi client against Keyless', () => {
  let arm: Arm
  let client: ManagedServiceIdentityClient
  let created: Identity
  const rg = 'msi-sdk-rg'

  before(async () => {
    arm = await startArm()
    const { endpoints, admin } = arm.k
    const credential = new ClientSecretCredential(
      endpoints.tenantId,
      admin.clientId,
      admin.clientSecret,
      { authorityHost: endpoints.authorityHost, disableInstanceDiscovery: true },
    )
    client = new ManagedServiceIdentityClient(credential, endpoints.subscriptionId, {
      endpoint: endpoints.managementEndpoint,
      credentialScopes: ['https://management.azure.com/.default'],
    })
    const res = await arm.request('PUT', arm.group(rg), { body: { location: LOCATION } })
    assert.equal(res.status, 201, res.text)
  })
  after(async () => arm?.dispose())

  it('creates a user-assigned identity with its principal, client and tenant ids', async () => {
    created = await client.userAssignedIdentities.createOrUpdate(rg, 'Build-Identity', {
      location: LOCATION,
      tags: { team: 'platform' },
    })
    assert.equal(created.name, 'Build-Identity')
    assert.equal(created.type, 'Microsoft.ManagedIdentity/userAssignedIdentities')
    assert.equal(created.id, arm.identity(rg, 'Build-Identity'))
    assert.equal(created.location, LOCATION)
    assert.deepEqual(created.tags, { team: 'platform' })
    assert.equal(created.tenantId, arm.tenantId)
    assert.match(created.principalId!, GUID)
    assert.match(created.clientId!, GUID)
    assert.equal(created.isolationScope, 'None')
  })

  it('keeps the principal and client ids stable when the identity is put again', async () => {
    const again = await client.userAssignedIdentities.createOrUpdate(rg, 'build-identity', {
      location: LOCATION,
      tags: { team: 'platform', env: 'ci' },
    })
    assert.equal(again.principalId, created.principalId)
    assert.equal(again.clientId, created.clientId)
    assert.equal(again.name, 'Build-Identity', 'the creation casing is kept')
    assert.deepEqual(again.tags, { team: 'platform', env: 'ci' })
  })

  it('gets the identity by name in any casing', async () => {
    const got = await client.userAssignedIdentities.get(rg.toUpperCase(), 'BUILD-IDENTITY')
    assert.equal(got.id, created.id)
    assert.equal(got.principalId, created.principalId)
  })

  it('updates the tags with PATCH', async () => {
    const updated = await client.userAssignedIdentities.update(rg, 'Build-Identity', {
      tags: { owner: 'ops' },
    })
    assert.deepEqual(updated.tags, { owner: 'ops' })
    assert.equal(updated.principalId, created.principalId)
    const got = await client.userAssignedIdentities.get(rg, 'Build-Identity')
    assert.deepEqual(got.tags, { owner: 'ops' })
  })

  it('lists identities by resource group and by subscription', async () => {
    await client.userAssignedIdentities.createOrUpdate(rg, 'second', { location: LOCATION })
    const byGroup = await collect(client.userAssignedIdentities.listByResourceGroup(rg))
    assert.deepEqual(byGroup.map((i) => i.name).sort(), ['Build-Identity', 'second'])
    const bySubscription = await collect(client.userAssignedIdentities.listBySubscription())
    assert.deepEqual(bySubscription.map((i) => i.name).sort(), ['Build-Identity', 'second'])
    assert.ok(bySubscription.every((i) => GUID.test(i.principalId!)))
  })

  it('reports a missing identity as ResourceNotFound', async () => {
    await assert.rejects(client.userAssignedIdentities.get(rg, 'nope'), {
      statusCode: 404,
      code: 'ResourceNotFound',
    })
  })

  it('gets the system-assigned identity of a virtual machine by scope', async () => {
    const vm = arm.resource(rg, 'Microsoft.Compute/virtualMachines', 'vm-sdk')
    const put = await arm.request('PUT', vm, {
      body: { location: LOCATION, identity: { type: 'SystemAssigned' } },
    })
    assert.equal(put.status, 201, put.text)
    // The scope keeps its leading slash, so the SDK requests `//subscriptions/...`.
    const system = await client.systemAssignedIdentities.getByScope(vm)
    assert.equal(system.name, 'default')
    assert.equal(system.type, 'Microsoft.ManagedIdentity/identities')
    assert.equal(system.id, `${vm}/providers/Microsoft.ManagedIdentity/identities/default`)
    assert.equal(system.location, LOCATION)
    assert.equal(system.principalId, put.json().identity.principalId)
    assert.equal(system.tenantId, arm.tenantId)
    assert.match(system.clientId!, GUID)
    const principal = await arm.principal(system.principalId!)
    assert.equal(principal.appId, system.clientId)
  })

  it('answers 404 for the system identity of a resource that has none', async () => {
    const vm = arm.resource(rg, 'Microsoft.Compute/virtualMachines', 'vm-plain')
    const put = await arm.request('PUT', vm, { body: { location: LOCATION } })
    assert.equal(put.status, 201, put.text)
    await assert.rejects(client.systemAssignedIdentities.getByScope(vm.slice(1)), {
      statusCode: 404,
    })
  })

  it('deletes an identity, and deleting it again succeeds with nothing to do', async () => {
    await client.userAssignedIdentities.delete(rg, 'second')
    await assert.rejects(client.userAssignedIdentities.get(rg, 'second'), { statusCode: 404 })
    const again = await arm.request('DELETE', arm.identity(rg, 'second'))
    assert.equal(again.status, 204)
    await client.userAssignedIdentities.delete(rg, 'second')
  })

  it('deletes the principal of a deleted identity', async () => {
    await client.userAssignedIdentities.delete(rg, 'Build-Identity')
    assert.equal(await arm.principal(created.principalId!), undefined)
    const left = await collect(client.userAssignedIdentities.listByResourceGroup(rg))
    assert.deepEqual(left, [])
  })
})
