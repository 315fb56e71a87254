import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { requiredAccess } from './actions.js'
import { parseTarget } from './target.js'

const S = '/subscriptions/11111111-2222-3333-4444-555555555555'
const G = `${S}/resourceGroups/rg1`
const UAMI = `${G}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1`

describe('requiredAccess', () => {
  const table: [string, string, string, string][] = [
    ['GET', '/subscriptions', 'Microsoft.Resources/subscriptions/read', '/'],
    ['GET', S, 'Microsoft.Resources/subscriptions/read', S],
    ['GET', `${S}/resourcegroups`, 'Microsoft.Resources/subscriptions/resourceGroups/read', S],
    ['PUT', `${S}/resourcegroups/rg1`, 'Microsoft.Resources/subscriptions/resourceGroups/write', G],
    ['HEAD', G, 'Microsoft.Resources/subscriptions/resourceGroups/read', G],
    ['DELETE', G, 'Microsoft.Resources/subscriptions/resourceGroups/delete', G],
    ['GET', `${G}/resources`, 'Microsoft.Resources/subscriptions/resourceGroups/resources/read', G],
    [
      'PUT',
      `${G}/providers/microsoft.compute/VIRTUALMACHINES/vm1`,
      'Microsoft.Compute/virtualMachines/write',
      `${G}/providers/microsoft.compute/VIRTUALMACHINES/vm1`,
    ],
    [
      'PATCH',
      `${G}/providers/Microsoft.Web/sites/a/slots/s`,
      'Microsoft.Web/sites/slots/write',
      `${G}/providers/Microsoft.Web/sites/a/slots/s`,
    ],
    ['DELETE', UAMI, 'Microsoft.ManagedIdentity/userAssignedIdentities/delete', UAMI],
    [
      'GET',
      `${S}/providers/Microsoft.ManagedIdentity/userAssignedIdentities`,
      'Microsoft.ManagedIdentity/userAssignedIdentities/read',
      S,
    ],
    [
      'GET',
      `${G}/providers/Microsoft.Web/sites/a/slots`,
      'Microsoft.Web/sites/slots/read',
      `${G}/providers/Microsoft.Web/sites/a`,
    ],
    [
      'GET',
      `${G}/providers/Microsoft.Compute/virtualMachines/vm1/providers/Microsoft.ManagedIdentity/identities/default`,
      'Microsoft.ManagedIdentity/identities/read',
      `${G}/providers/Microsoft.Compute/virtualMachines/vm1`,
    ],
  ]
  for (const [method, path, action, scope] of table) {
    it(`needs ${action} for ${method} ${path.replace(S, '/subscriptions/{s}')}`, () => {
      const { primary, linked } = requiredAccess(parseTarget(path), method)
      assert.deepEqual(primary, { action, scope })
      assert.deepEqual(linked, [])
    })
  }

  it('needs assign/action on each identity a write attaches, not on those it removes', () => {
    const vm = parseTarget(`${G}/providers/Microsoft.Compute/virtualMachines/vm1`)
    const other = UAMI.replace('id1', 'id2')
    const body = {
      location: 'eastus',
      identity: {
        type: 'UserAssigned',
        userAssignedIdentities: { [UAMI]: {}, [other]: null, 'not-an-id': {} },
      },
    }
    assert.deepEqual(requiredAccess(vm, 'PATCH', body).linked, [
      { action: 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action', scope: UAMI },
    ])
    assert.deepEqual(requiredAccess(vm, 'GET', body).linked, [])
  })
})
