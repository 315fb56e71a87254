// Resource groups and every resource type over plain HTTPS, as any ARM tool sends them: status
// codes per operation, response shapes, casing, `//` and keyword variants, HEAD, paging and the
// headers every response carries (reference §2, §3.1).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { https } from '../../helpers/https.js'
import { LOCATION, startArm, type Arm } from './arm.config.js'

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const VM = 'Microsoft.Compute/virtualMachines'
const SITE = 'Microsoft.Web/sites'
const SLOT = 'Microsoft.Web/sites/slots'

describe('resource groups over ARM REST', () => {
  let arm: Arm
  before(async () => {
    arm = await startArm()
  })
  after(async () => arm?.dispose())

  it('creates a group with 201, then updates it with 200', async () => {
    const first = await arm.request('PUT', arm.group('Team-A'), {
      body: { location: LOCATION, tags: { env: 'dev' } },
    })
    assert.equal(first.status, 201, first.text)
    assert.deepEqual(first.json(), {
      id: arm.group('Team-A'),
      name: 'Team-A',
      type: 'Microsoft.Resources/resourceGroups',
      location: LOCATION,
      tags: { env: 'dev' },
      properties: { provisioningState: 'Succeeded' },
    })
    const second = await arm.request('PUT', arm.group('team-a'), {
      body: { location: LOCATION, tags: {} },
    })
    assert.equal(second.status, 200)
    assert.equal(second.json().name, 'Team-A', 'the creation casing is kept')
  })

  it('sends the request ids and the JSON content type on every response', async () => {
    const res = await arm.request('GET', arm.group('Team-A'), {
      headers: { 'x-ms-correlation-request-id': '3f2b6a1e-5b6c-4c1d-9e8f-0a1b2c3d4e5f' },
    })
    assert.equal(res.status, 200)
    assert.match(String(res.headers['x-ms-request-id']), GUID)
    assert.equal(res.headers['x-ms-correlation-request-id'], '3f2b6a1e-5b6c-4c1d-9e8f-0a1b2c3d4e5f')
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8')
    const missing = await arm.request('GET', arm.group('absent'))
    assert.match(String(missing.headers['x-ms-request-id']), GUID)
    assert.match(String(missing.headers['x-ms-correlation-request-id']), GUID)
  })

  it('routes resourcegroups, //, a trailing slash and any keyword casing to the same group', async () => {
    const sub = `/subscriptions/${arm.subscriptionId}`
    for (const path of [
      `${sub}/resourcegroups/team-a`,
      `/${sub}/RESOURCEGROUPS/TEAM-A`,
      `${sub}//resourceGroups//Team-A/`,
    ]) {
      const res = await arm.request('GET', path)
      assert.equal(res.status, 200, `${path}: ${res.text}`)
      assert.equal(res.json().id, arm.group('Team-A'))
    }
  })

  it('patches tags and managedBy', async () => {
    const res = await arm.request('PATCH', arm.group('Team-A'), {
      body: { tags: { cost: '42' }, managedBy: 'keyless-tests' },
    })
    assert.equal(res.status, 200, res.text)
    assert.deepEqual(res.json().tags, { cost: '42' })
    assert.equal(res.json().managedBy, 'keyless-tests')
  })

  it('answers HEAD with 204 when the group exists and 404 when it does not', async () => {
    const yes = await arm.request('HEAD', arm.group('team-a'))
    assert.equal(yes.status, 204)
    assert.equal(yes.text, '')
    const no = await arm.request('HEAD', arm.group('absent'))
    assert.equal(no.status, 404)
    assert.equal(no.text, '')
  })

  it('reports a missing group as ResourceGroupNotFound', async () => {
    const res = await arm.request('GET', arm.group('absent'))
    assert.equal(res.status, 404)
    assert.equal(res.json().error.code, 'ResourceGroupNotFound')
    assert.deepEqual(Object.keys(res.json().error).sort(), [
      'additionalInfo',
      'code',
      'details',
      'message',
      'target',
    ])
  })

  it('pages the group list with $top and an absolute nextLink that carries the api-version', async () => {
    for (const name of ['page-1', 'page-2', 'page-3', 'page-4']) {
      const res = await arm.request('PUT', arm.group(name), { body: { location: LOCATION } })
      assert.equal(res.status, 201)
    }
    const seen: string[] = []
    let url: string | undefined =
      `${arm.base}/subscriptions/${arm.subscriptionId}/resourcegroups?api-version=2025-04-01&$top=2`
    let pages = 0
    while (url) {
      const res = await https(url, {
        headers: { authorization: `Bearer ${arm.operatorToken}` },
        ca: arm.k.ca,
      })
      assert.equal(res.status, 200, res.text)
      const body = res.json()
      assert.ok(Array.isArray(body.value))
      assert.ok(body.value.length <= 2)
      seen.push(...body.value.map((g: { name: string }) => g.name))
      url = body.nextLink
      if (url) {
        assert.ok(url.startsWith(arm.base + '/'), url)
        assert.match(url, /api-version=2025-04-01/)
      }
      pages++
    }
    assert.equal(pages, 3)
    assert.deepEqual(seen.sort(), ['Team-A', 'page-1', 'page-2', 'page-3', 'page-4'])
  })

  it('gets the subscription and lists it', async () => {
    const one = await arm.request('GET', `/subscriptions/${arm.subscriptionId}`, {
      apiVersion: '2022-12-01',
    })
    assert.equal(one.status, 200)
    assert.equal(one.json().id, `/subscriptions/${arm.subscriptionId}`)
    assert.equal(one.json().subscriptionId, arm.subscriptionId)
    assert.equal(one.json().tenantId, arm.tenantId)
    assert.equal(one.json().state, 'Enabled')
    assert.equal(typeof one.json().displayName, 'string')
    const list = await arm.request('GET', '/subscriptions', { apiVersion: '2022-12-01' })
    assert.deepEqual(list.json().value, [one.json()])
    const missing = await arm.request('GET', '/subscriptions/00000000-0000-0000-0000-000000000009')
    assert.equal(missing.status, 404)
    assert.equal(missing.json().error.code, 'SubscriptionNotFound')
  })

  it('deletes a group with 202 and a Location that reports completion with 200', async () => {
    const res = await arm.request('DELETE', arm.group('page-4'))
    assert.equal(res.status, 202, res.text)
    const location = String(res.headers.location)
    assert.ok(location.startsWith(`${arm.base}/subscriptions/${arm.subscriptionId}/`), location)
    assert.match(location, /api-version=2025-04-01/)
    const poll = await https(location, {
      headers: { authorization: `Bearer ${arm.operatorToken}` },
      ca: arm.k.ca,
    })
    assert.equal(poll.status, 200)
    assert.equal((await arm.request('HEAD', arm.group('page-4'))).status, 404)
    const again = await arm.request('DELETE', arm.group('page-4'))
    assert.equal(again.status, 404)
    assert.equal(again.json().error.code, 'ResourceGroupNotFound')
  })
})

describe('compute and plain resources over ARM REST', () => {
  let arm: Arm
  const rg = 'Compute-RG'
  before(async () => {
    arm = await startArm()
    const res = await arm.request('PUT', arm.group(rg), { body: { location: LOCATION } })
    assert.equal(res.status, 201)
  })
  after(async () => arm?.dispose())

  it('creates a virtual machine with 201 and the ARM resource shape', async () => {
    const id = arm.resource(rg, VM, 'Web-VM1')
    const res = await arm.request('PUT', id, {
      body: {
        location: LOCATION,
        tags: { role: 'web' },
        properties: { hardwareProfile: { vmSize: 'Standard_B1s' }, provisioningState: 'Creating' },
        identity: { type: 'SystemAssigned' },
      },
    })
    assert.equal(res.status, 201, res.text)
    const vm = res.json()
    assert.deepEqual(Object.keys(vm).sort(), [
      'id',
      'identity',
      'location',
      'name',
      'properties',
      'tags',
      'type',
    ])
    assert.equal(vm.id, id)
    assert.equal(vm.name, 'Web-VM1')
    assert.equal(vm.type, VM)
    assert.deepEqual(vm.properties, {
      hardwareProfile: { vmSize: 'Standard_B1s' },
      provisioningState: 'Succeeded',
    })
    assert.equal(vm.identity.type, 'SystemAssigned')
    assert.match(vm.identity.principalId, GUID)
    assert.equal(vm.identity.tenantId, arm.tenantId)
    assert.equal(vm.identity.userAssignedIdentities, undefined)
  })

  it('updates with 200 on a second PUT, in any casing of the path', async () => {
    const path = `/subscriptions/${arm.subscriptionId}/resourcegroups/compute-rg/providers/microsoft.compute/VIRTUALMACHINES/web-vm1`
    const res = await arm.request('PUT', path, {
      body: { location: LOCATION, identity: { type: 'SystemAssigned' } },
    })
    assert.equal(res.status, 200, res.text)
    assert.equal(res.json().id, arm.resource(rg, VM, 'Web-VM1'), 'creation and catalog casing')
    assert.equal(res.json().type, VM)
  })

  it('patches tags and leaves the identity alone', async () => {
    const id = arm.resource(rg, VM, 'Web-VM1')
    const before = (await arm.request('GET', id)).json()
    const res = await arm.request('PATCH', id, { body: { tags: { patched: 'yes' } } })
    assert.equal(res.status, 200, res.text)
    assert.deepEqual(res.json().tags, { patched: 'yes' })
    assert.deepEqual(res.json().identity, before.identity)
  })

  it('answers HEAD by id with 204 or 404', async () => {
    assert.equal((await arm.request('HEAD', arm.resource(rg, VM, 'web-vm1'))).status, 204)
    assert.equal((await arm.request('HEAD', arm.resource(rg, VM, 'nope'))).status, 404)
  })

  it('reports a missing resource as ResourceNotFound', async () => {
    const res = await arm.request('GET', arm.resource(rg, VM, 'nope'))
    assert.equal(res.status, 404)
    assert.equal(res.json().error.code, 'ResourceNotFound')
  })

  it('creates a function app with its kind and a slot named <app>/<slot>', async () => {
    const site = await arm.request('PUT', arm.resource(rg, SITE, 'Func-App'), {
      body: { location: LOCATION, kind: 'functionapp,linux', identity: { type: 'SystemAssigned' } },
    })
    assert.equal(site.status, 201, site.text)
    assert.equal(site.json().kind, 'functionapp,linux')
    const slotId = arm.resource(rg, SLOT, 'Func-App', 'Staging')
    const slot = await arm.request('PUT', slotId, {
      body: { location: LOCATION, identity: { type: 'SystemAssigned' } },
    })
    assert.equal(slot.status, 201, slot.text)
    assert.equal(slot.json().id, slotId)
    assert.equal(slot.json().name, 'Func-App/Staging')
    assert.equal(slot.json().type, SLOT)
    assert.notEqual(slot.json().identity.principalId, site.json().identity.principalId)
  })

  it('lists the slots of a site', async () => {
    const res = await arm.request('GET', `${arm.resource(rg, SITE, 'func-app')}/slots`)
    assert.equal(res.status, 200, res.text)
    assert.deepEqual(
      res.json().value.map((s: { name: string }) => s.name),
      ['Func-App/Staging'],
    )
    const missing = await arm.request('GET', `${arm.resource(rg, SITE, 'no-app')}/slots`)
    assert.equal(missing.status, 404)
  })

  it('creates plain key vaults, storage accounts and workloads without identity', async () => {
    for (const [type, name] of [
      ['Microsoft.KeyVault/vaults', 'kv-one'],
      ['Microsoft.Storage/storageAccounts', 'storeone'],
      ['Keyless.Compute/workloads', 'batch-1'],
    ] as const) {
      const res = await arm.request('PUT', arm.resource(rg, type, name), {
        body: { location: LOCATION, properties: { note: 'plain' } },
      })
      assert.equal(res.status, 201, `${type}: ${res.text}`)
      assert.equal(res.json().type, type)
      assert.equal(res.json().identity, undefined)
      // Vaults and accounts also carry their data plane's URL; nothing else is added.
      const { vaultUri, vaultUriByAddress, primaryEndpoints, ...rest } = res.json().properties
      assert.deepEqual(rest, { note: 'plain', provisioningState: 'Succeeded' })
      if (type === 'Microsoft.KeyVault/vaults') {
        // `keyless up` names vaults under its host suffix, and keeps the address form beside.
        assert.match(vaultUri, /^https:\/\/kv-one\.vault\.keyless\.localhost:\d+\/$/)
        assert.match(vaultUriByAddress, /^https:\/\/127\.0\.0\.1:\d+\/$/)
      } else assert.equal(vaultUri ?? vaultUriByAddress, undefined)
      if (type === 'Microsoft.Storage/storageAccounts') {
        assert.match(primaryEndpoints.blob, /^https:\/\/127\.0\.0\.1:\d+\/storeone\/$/)
      } else assert.equal(primaryEndpoints, undefined)
    }
  })

  it('lists by group and by subscription, type by type', async () => {
    const byGroup = await arm.request(
      'GET',
      `${arm.group(rg)}/providers/Microsoft.Compute/virtualMachines`,
    )
    assert.equal(byGroup.status, 200, byGroup.text)
    assert.deepEqual(
      byGroup.json().value.map((r: { name: string }) => r.name),
      ['Web-VM1'],
    )
    const bySub = await arm.request(
      'GET',
      `/subscriptions/${arm.subscriptionId}/providers/Microsoft.Web/sites`,
    )
    assert.deepEqual(
      bySub.json().value.map((r: { name: string }) => r.name),
      ['Func-App'],
    )
    const vaults = await arm.request(
      'GET',
      `/subscriptions/${arm.subscriptionId}/providers/Microsoft.KeyVault/vaults`,
    )
    assert.deepEqual(
      vaults.json().value.map((r: { name: string }) => r.name),
      ['kv-one'],
    )
  })

  it('pages a resource list with $top', async () => {
    for (const name of ['vm-p1', 'vm-p2']) {
      const res = await arm.request('PUT', arm.resource(rg, VM, name), {
        body: { location: LOCATION },
      })
      assert.equal(res.status, 201)
    }
    const first = await arm.request(
      'GET',
      `${arm.group(rg)}/providers/Microsoft.Compute/virtualMachines?$top=2`,
    )
    assert.equal(first.json().value.length, 2)
    const next = first.json().nextLink as string
    assert.match(next, /api-version=2024-07-01/)
    const second = await https(next, {
      headers: { authorization: `Bearer ${arm.operatorToken}` },
      ca: arm.k.ca,
    })
    assert.equal(second.json().value.length, 1)
    assert.equal(second.json().nextLink, undefined)
  })

  it('deletes a resource with 200, then answers 204 when it is absent', async () => {
    const id = arm.resource(rg, VM, 'vm-p2')
    assert.equal((await arm.request('DELETE', id)).status, 200)
    assert.equal((await arm.request('DELETE', id)).status, 204)
    assert.equal((await arm.request('GET', id)).status, 404)
  })
})
