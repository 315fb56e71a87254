import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { compileActionPattern } from '../domain/rbac/action-match.js'
import { BUILT_IN_ROLE_IDS, findBuiltInRole } from '../domain/rbac/built-in-roles.js'
import { ASSIGN_IDENTITY, requiredAccess } from './actions.js'
import { parseTarget } from './target.js'

const S = '/subscriptions/11111111-2222-3333-4444-555555555555'
const G = `${S}/resourceGroups/rg1`
const UAMI = `${G}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1`

describe('requiredAccess', () => {
  const table: [string, string, string, string][] = [
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

  const GUID = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635'
  const AUTHZ = 'providers/Microsoft.Authorization'
  const authorization: [string, string, string, string][] = [
    [
      'GET',
      `/${AUTHZ}/roleDefinitions/${GUID}`,
      'Microsoft.Authorization/roleDefinitions/read',
      '/',
    ],
    ['GET', `${S}/${AUTHZ}/roleDefinitions`, 'Microsoft.Authorization/roleDefinitions/read', S],
    [
      'PUT',
      `${S}/${AUTHZ}/roleDefinitions/${GUID}`,
      'Microsoft.Authorization/roleDefinitions/write',
      S,
    ],
    [
      'DELETE',
      `${S}/${AUTHZ}/roleDefinitions/${GUID}`,
      'Microsoft.Authorization/roleDefinitions/delete',
      S,
    ],
    ['GET', `${G}/${AUTHZ}/roleAssignments`, 'Microsoft.Authorization/roleAssignments/read', G],
    [
      'GET',
      `${G}/${AUTHZ}/roleAssignments/${GUID}`,
      'Microsoft.Authorization/roleAssignments/read',
      G,
    ],
    [
      'PUT',
      `${UAMI}/${AUTHZ}/roleAssignments/${GUID}`,
      'Microsoft.Authorization/roleAssignments/write',
      UAMI,
    ],
    [
      'DELETE',
      `${G}/${AUTHZ}/roleAssignments/${GUID}`,
      'Microsoft.Authorization/roleAssignments/delete',
      G,
    ],
    ['GET', `${G}/${AUTHZ}/denyAssignments`, 'Microsoft.Authorization/denyAssignments/read', G],
    [
      'GET',
      `${G}/${AUTHZ}/denyAssignments/${GUID}`,
      'Microsoft.Authorization/denyAssignments/read',
      G,
    ],
    [
      'PUT',
      `${G}/${AUTHZ}/denyAssignments/${GUID}`,
      'Microsoft.Authorization/denyAssignments/write',
      G,
    ],
    [
      'DELETE',
      `${G}/${AUTHZ}/denyAssignments/${GUID}`,
      'Microsoft.Authorization/denyAssignments/delete',
      G,
    ],
  ]
  for (const [method, path, action, scope] of authorization) {
    it(`needs ${action} for ${method} ${path.replace(S, '/subscriptions/{s}')}`, () => {
      assert.deepEqual(requiredAccess(parseTarget(path), method), {
        primary: { action, scope },
        linked: [],
      })
    })
  }

  // Tenant-level reads answer with what the caller may see (resources/subscriptions.ts).
  for (const path of ['/tenants', '/subscriptions', S]) {
    it(`checks no action for GET ${path}: the answer is filtered instead`, () => {
      assert.deepEqual(requiredAccess(parseTarget(path), 'GET'), { linked: [] })
    })
  }

  it('checks no action for the permissions API: callers read their own grants', () => {
    const t = parseTarget(`${G}/${AUTHZ}/permissions`)
    assert.deepEqual(requiredAccess(t, 'GET'), { linked: [] })
  })

  it('needs roleDefinitions/write on every other scope a custom role is assignable at', () => {
    const t = parseTarget(`${S}/${AUTHZ}/roleDefinitions/${GUID}`)
    const body = { properties: { assignableScopes: [S.toUpperCase(), G, `${G}/`, 'junk', G] } }
    assert.deepEqual(requiredAccess(t, 'PUT', body).linked, [
      { action: 'Microsoft.Authorization/roleDefinitions/write', scope: G },
    ])
  })

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

describe('the linked check of attaching an identity', () => {
  it("is granted by Managed Identity Operator's '*/assign/action', and not by its reads", () => {
    const role = findBuiltInRole(BUILT_IN_ROLE_IDS.managedIdentityOperator)!
    const actions = role.permissions.flatMap((p) => p.actions)
    const matching = actions.filter((a) => compileActionPattern(a)(ASSIGN_IDENTITY.toLowerCase()))
    assert.deepEqual(matching, ['Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action'])
  })
})
