// Bad requests get the right 4xx and ARM code in ARM's envelope, and change nothing: every row
// of the store (groups, resources, principals, attachments, and the event log, which any write
// appends to) is compared before and after, besides what the API itself lists.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { LOCATION, startArm, storeSnapshot, type Arm, type RequestOptions } from './arm.config.js'

const VM = 'Microsoft.Compute/virtualMachines'

interface Case extends RequestOptions {
  name: string
  method: string
  path: () => string
  status: number
  code: string
}

describe('control-plane errors', () => {
  let arm: Arm
  const rg = 'err-rg'
  let uami: string
  let vm1: string
  let vm2: string

  before(async () => {
    arm = await startArm()
    uami = arm.identity(rg, 'id1')
    vm1 = arm.resource(rg, VM, 'vm1')
    vm2 = arm.resource(rg, VM, 'vm2')
    for (const [path, body] of [
      [arm.group(rg), { location: LOCATION }],
      [uami, { location: LOCATION }],
      [vm1, { location: LOCATION, identity: { type: 'SystemAssigned' } }],
      [arm.resource(rg, 'Microsoft.Web/sites', 'site1'), { location: LOCATION }],
    ] as const) {
      const res = await arm.request('PUT', path, { body })
      assert.equal(res.status, 201, res.text)
    }
  })
  after(async () => arm?.dispose())

  const sub = () => `/subscriptions/${arm.subscriptionId}`
  const missingUami = () => arm.identity(rg, 'does-not-exist')
  const cases: Case[] = [
    {
      name: 'an id whose type is missing',
      method: 'PUT',
      path: () => `${arm.group(rg)}/providers/Microsoft.Compute`,
      body: { location: LOCATION },
      status: 400,
      code: 'InvalidResourceId',
    },
    {
      name: 'an id with an unexpected segment',
      method: 'PUT',
      path: () => `${arm.group(rg)}/things/t1`,
      body: { location: LOCATION },
      status: 400,
      code: 'InvalidResourceId',
    },
    {
      name: 'a name with an encoded slash',
      method: 'PUT',
      path: () => `${arm.group(rg)}/providers/${VM}/a%2Fb`,
      body: { location: LOCATION },
      status: 400,
      code: 'InvalidResourceId',
    },
    {
      name: 'an unknown provider namespace',
      method: 'PUT',
      path: () => `${arm.group(rg)}/providers/Contoso.Widgets/widgets/w1`,
      body: { location: LOCATION },
      status: 400,
      code: 'InvalidResourceNamespace',
    },
    {
      name: 'an unknown type in a known namespace',
      method: 'PUT',
      path: () => `${arm.group(rg)}/providers/Microsoft.Compute/disks/d1`,
      body: { location: LOCATION },
      status: 404,
      code: 'InvalidResourceType',
    },
    {
      name: 'a resource outside a resource group',
      method: 'PUT',
      path: () => `${sub()}/providers/${VM}/vm9`,
      body: { location: LOCATION },
      status: 400,
      code: 'InvalidResourceId',
    },
    {
      name: 'bad JSON',
      method: 'PUT',
      path: () => vm2,
      raw: '{"location":',
      status: 400,
      code: 'InvalidRequestContent',
    },
    {
      name: 'a __proto__ key',
      method: 'PUT',
      path: () => vm2,
      raw: '{"location":"eastus","__proto__":{"polluted":true}}',
      status: 400,
      code: 'InvalidRequestContent',
    },
    {
      name: 'a form body',
      method: 'PUT',
      path: () => vm2,
      raw: 'location=eastus',
      contentType: 'application/x-www-form-urlencoded',
      status: 415,
      code: 'UnsupportedMediaType',
    },
    {
      name: 'a body over the size limit',
      method: 'PUT',
      path: () => vm2,
      body: { location: LOCATION, properties: { pad: 'x'.repeat(1_100_000) } },
      status: 413,
      code: 'RequestContentTooLarge',
    },
    {
      name: 'a PUT without a body',
      method: 'PUT',
      path: () => vm2,
      status: 400,
      code: 'InvalidRequestContent',
    },
    {
      name: 'a PUT without location',
      method: 'PUT',
      path: () => vm2,
      body: { tags: {} },
      status: 400,
      code: 'InvalidRequestContent',
    },
    {
      name: 'more than 50 tags',
      method: 'PUT',
      path: () => vm2,
      body: {
        location: LOCATION,
        tags: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`t${i}`, 'v'])),
      },
      status: 400,
      code: 'InvalidRequestContent',
    },
    {
      name: 'a tag whose value is an object',
      method: 'PUT',
      path: () => vm2,
      body: { location: LOCATION, tags: { a: { b: 'c' } } },
      status: 400,
      code: 'InvalidRequestContent',
    },
    {
      name: 'properties that are not an object',
      method: 'PUT',
      path: () => vm2,
      body: { location: LOCATION, properties: 'big' },
      status: 400,
      code: 'InvalidRequestContent',
    },
    {
      name: 'an unknown identity type',
      method: 'PUT',
      path: () => vm2,
      body: { location: LOCATION, identity: { type: 'Automatic' } },
      status: 400,
      code: 'InvalidIdentityType',
    },
    {
      name: 'user-assigned identities listed with type SystemAssigned',
      method: 'PUT',
      path: () => vm2,
      get body() {
        return {
          location: LOCATION,
          identity: { type: 'SystemAssigned', userAssignedIdentities: { [uami]: {} } },
        }
      },
      status: 400,
      code: 'BadRequest',
    },
    {
      name: 'the 2017-12-01 identityIds array',
      method: 'PUT',
      path: () => vm2,
      get body() {
        return { location: LOCATION, identity: { type: 'UserAssigned', identityIds: [uami] } }
      },
      status: 400,
      code: 'InvalidRequestContent',
    },
    {
      name: 'a user-assigned key that is not a resource id',
      method: 'PUT',
      path: () => vm2,
      body: {
        location: LOCATION,
        identity: { type: 'UserAssigned', userAssignedIdentities: { 'not-an-id': {} } },
      },
      status: 400,
      code: 'LinkedInvalidPropertyId',
    },
    {
      name: 'a user-assigned key that names a virtual machine',
      method: 'PUT',
      path: () => vm2,
      get body() {
        return {
          location: LOCATION,
          identity: { type: 'UserAssigned', userAssignedIdentities: { [vm1]: {} } },
        }
      },
      status: 400,
      code: 'LinkedInvalidPropertyId',
    },
    {
      name: 'a user-assigned identity that does not exist, with a system identity',
      method: 'PUT',
      path: () => vm2,
      get body() {
        return {
          location: LOCATION,
          identity: {
            type: 'SystemAssigned, UserAssigned',
            userAssignedIdentities: { [missingUami()]: {} },
          },
        }
      },
      status: 400,
      code: 'FailedIdentityOperation',
    },
    {
      name: 'a PATCH attaching a user-assigned identity that does not exist',
      method: 'PATCH',
      path: () => vm1,
      get body() {
        return {
          tags: { changed: 'yes' },
          identity: {
            type: 'SystemAssigned, UserAssigned',
            userAssignedIdentities: { [missingUami()]: {} },
          },
        }
      },
      status: 400,
      code: 'FailedIdentityOperation',
    },
    {
      name: 'an identity on a key vault',
      method: 'PUT',
      path: () => arm.resource(rg, 'Microsoft.KeyVault/vaults', 'kv-err'),
      body: { location: LOCATION, identity: { type: 'SystemAssigned' } },
      status: 400,
      code: 'IdentityNotSupported',
    },
    {
      name: 'an invalid virtual machine name',
      method: 'PUT',
      path: () => arm.resource(rg, VM, 'vm.'),
      body: { location: LOCATION },
      status: 400,
      code: 'InvalidResourceName',
    },
    {
      name: 'an invalid resource group name',
      method: 'PUT',
      path: () => arm.group('bad*group'),
      body: { location: LOCATION },
      status: 400,
      code: 'InvalidResourceGroup',
    },
    {
      name: 'a resource in a group that does not exist',
      method: 'PUT',
      path: () => arm.resource('no-such-rg', VM, 'vm1'),
      body: { location: LOCATION, identity: { type: 'SystemAssigned' } },
      status: 404,
      code: 'ResourceGroupNotFound',
    },
    {
      name: 'a slot of a site that does not exist',
      method: 'PUT',
      path: () => arm.resource(rg, 'Microsoft.Web/sites/slots', 'no-site', 'staging'),
      body: { location: LOCATION, identity: { type: 'SystemAssigned' } },
      status: 404,
      code: 'ParentResourceNotFound',
    },
    {
      name: 'a PUT moving a resource to another location',
      method: 'PUT',
      path: () => vm1,
      body: { location: 'westus', identity: { type: 'SystemAssigned' } },
      status: 409,
      code: 'InvalidResourceLocation',
    },
    {
      name: 'a PATCH of a resource that does not exist',
      method: 'PATCH',
      path: () => vm2,
      body: { tags: {} },
      status: 404,
      code: 'ResourceNotFound',
    },
    {
      name: 'a missing api-version',
      method: 'PUT',
      path: () => vm2,
      body: { location: LOCATION },
      apiVersion: null,
      status: 400,
      code: 'MissingApiVersionParameter',
    },
    {
      name: 'a malformed api-version',
      method: 'PUT',
      path: () => vm2,
      body: { location: LOCATION },
      apiVersion: 'latest',
      status: 400,
      code: 'InvalidApiVersionParameter',
    },
    {
      name: 'an api-version older than the type supports',
      method: 'PUT',
      path: () => vm2,
      body: { location: LOCATION },
      apiVersion: '2017-12-01',
      status: 400,
      code: 'InvalidApiVersionParameter',
    },
    {
      name: 'a method the target does not support',
      method: 'PATCH',
      path: () => sub(),
      body: {},
      status: 405,
      code: 'MethodNotAllowed',
    },
    {
      name: 'an invalid $top',
      method: 'GET',
      path: () => `${sub()}/resourcegroups?$top=0`,
      status: 400,
      code: 'InvalidQueryParameterValue',
    },
    {
      name: 'a DELETE of a group that does not exist',
      method: 'DELETE',
      path: () => arm.group('never-was'),
      status: 404,
      code: 'ResourceGroupNotFound',
    },
  ]

  for (const c of cases) {
    it(`answers ${c.status} ${c.code} to ${c.name} and changes nothing`, async () => {
      const before = await storeSnapshot(arm)
      const res = await arm.request(c.method, c.path(), c)
      assert.equal(res.status, c.status, res.text)
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8')
      const error = res.json().error
      assert.equal(error.code, c.code, error.message)
      assert.equal(typeof error.message, 'string')
      assert.ok(error.message.length > 0)
      assert.ok(Array.isArray(error.details) && Array.isArray(error.additionalInfo))
      assert.equal(await storeSnapshot(arm), before, 'the store is unchanged')
    })
  }

  it('keeps every resource as it was, as the API lists them', async () => {
    const res = await arm.request('GET', `${arm.group(rg)}/resources`)
    assert.equal(res.status, 200, res.text)
    assert.deepEqual(
      res
        .json()
        .value.map((r: { name: string }) => r.name)
        .sort(),
      ['id1', 'site1', 'vm1'],
    )
    const vm = (await arm.request('GET', vm1)).json()
    assert.equal(vm.identity.type, 'SystemAssigned')
    assert.deepEqual(vm.tags, {})
    assert.equal(vm.location, LOCATION)
    assert.ok(await arm.principal(vm.identity.principalId))
  })

  it('answers a path outside /subscriptions with an ARM 404', async () => {
    const res = await arm.request('GET', `//not-arm/at-all`)
    assert.equal(res.status, 404)
    assert.equal(res.json().error.code, 'NotFound')
  })
})
