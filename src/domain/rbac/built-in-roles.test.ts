import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { BUILT_IN_ROLES, findBuiltInRole, findBuiltInRoleByName } from './built-in-roles.js'

// The table of reference/arm-rbac-dataplane.md §6: name, GUID, and the number of actions,
// notActions and dataActions once B5/KV5 are written out.
const TABLE: Array<
  [name: string, guid: string, actions: number, notActions: number, data: number]
> = [
  ['Owner', '8e3af657-a8ff-443c-a75c-2fe8c4bcb635', 1, 0, 0],
  ['Contributor', 'b24988ac-6180-42a0-ab88-20f7382dd24c', 1, 11, 0],
  ['Reader', 'acdd72a7-3385-48ef-bd42-f606fba81ae7', 1, 0, 0],
  ['User Access Administrator', '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9', 3, 0, 0],
  ['Role Based Access Control Administrator', 'f58310d9-a9f6-439a-9e8d-f62e7b41a168', 4, 0, 0],
  ['Managed Identity Operator', 'f1a07417-d97a-45cb-824c-7a7467783830', 7, 0, 0],
  ['Managed Identity Contributor', 'e40ec5ca-96e0-45a2-b4ff-59039f2c2b59', 12, 0, 0],
  ['Key Vault Administrator', '00482a5a-887f-4fb3-b363-3b7fe8e74483', 10, 0, 1],
  ['Key Vault Secrets Officer', 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7', 10, 0, 1],
  ['Key Vault Secrets User', '4633458b-17de-408a-b874-0445c86b69e6', 0, 0, 2],
  ['Key Vault Crypto Officer', '14b46e9e-c2b7-41b4-b07b-48a6ebf60603', 10, 0, 2],
  ['Key Vault Crypto User', '12338af0-0e69-4776-bea7-57ae8d297424', 0, 0, 9],
  ['Key Vault Crypto Service Encryption User', 'e147488a-f6f5-4113-8e2d-b22465e65bf6', 3, 0, 3],
  ['Key Vault Reader', '21090545-7ca7-4776-b22c-e363652d74d2', 10, 0, 2],
  ['Storage Blob Data Owner', 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b', 2, 0, 1],
  ['Storage Blob Data Contributor', 'ba92f5b4-2d11-453d-a403-e96b0029c9fe', 4, 0, 5],
  ['Storage Blob Data Reader', '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1', 2, 0, 1],
  ['Storage Queue Data Contributor', '974c5e8b-45b9-4653-ba55-5f855dd0fb88', 3, 0, 4],
  ['Storage Queue Data Message Processor', '8a0f0c08-91a1-4084-bc3d-661d67233fed', 0, 0, 2],
  ['Storage Queue Data Message Sender', 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a', 0, 0, 1],
  ['Storage Queue Data Reader', '19e7f393-937e-4f77-808e-94535e297925', 1, 0, 1],
  ['Website Contributor', 'de139f84-1756-47ae-9be6-808fbbe84772', 12, 0, 0],
  ['Virtual Machine Contributor', '9980e02c-c2be-4d73-94e8-173b1dc7cf3c', 45, 0, 0],
]

describe('built-in roles', () => {
  it('holds exactly the roles of the reference, once each', () => {
    assert.deepEqual(
      BUILT_IN_ROLES.map((r) => r.roleName).sort(),
      TABLE.map(([name]) => name).sort(),
    )
  })

  for (const [name, guid, actions, notActions, data] of TABLE) {
    it(`defines ${name} with its Azure GUID and permissions`, () => {
      const r = findBuiltInRole(guid.toUpperCase())
      assert.equal(r?.roleName, name)
      assert.equal(findBuiltInRoleByName(name.toLowerCase()), r)
      assert.equal(r!.type, 'BuiltInRole')
      assert.deepEqual(r!.assignableScopes, ['/'])
      assert.equal(r!.permissions.length, 1)
      const [p] = r!.permissions
      assert.equal(p!.actions.length, actions)
      assert.equal(new Set(p!.actions.map((a) => a.toLowerCase())).size, actions, 'no duplicates')
      assert.equal(p!.notActions.length, notActions)
      assert.equal(p!.dataActions.length, data)
      assert.deepEqual(p!.notDataActions, [])
      assert.ok(r!.description.length > 0)
    })
  }

  it('writes out the shared sets in full', () => {
    const mio = findBuiltInRoleByName('Managed Identity Operator')!.permissions[0]!
    assert.deepEqual(mio.actions, [
      'Microsoft.ManagedIdentity/userAssignedIdentities/*/read',
      'Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action',
      'Microsoft.Authorization/*/read',
      'Microsoft.Insights/alertRules/*',
      'Microsoft.Resources/deployments/*',
      'Microsoft.Resources/subscriptions/resourceGroups/read',
      'Microsoft.Support/*',
    ])
    const kvr = findBuiltInRoleByName('Key Vault Reader')!.permissions[0]!
    assert.ok(kvr.actions.includes('Microsoft.KeyVault/locations/*/read'))
    assert.deepEqual(kvr.dataActions, [
      'Microsoft.KeyVault/vaults/*/read',
      'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
    ])
    const vmc = findBuiltInRoleByName('Virtual Machine Contributor')!.permissions[0]!
    for (const a of [
      'Microsoft.Compute/virtualMachines/*',
      'Microsoft.Network/virtualNetworks/subnets/join/action',
      'Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/*/read',
      'Microsoft.SqlVirtualMachine/*',
      'Microsoft.Storage/storageAccounts/listKeys/action',
    ]) {
      assert.ok(vmc.actions.includes(a), a)
    }
    assert.ok(!vmc.actions.some((a) => a.includes('ManagedIdentity')))
  })

  it('finds nothing for an unknown GUID or name', () => {
    assert.equal(findBuiltInRole('00000000-0000-0000-0000-000000000001'), undefined)
    assert.equal(findBuiltInRoleByName('Superuser'), undefined)
  })
})
