import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { actionMatches, compilePatternList } from './action-match.js'

const MI = 'Microsoft.ManagedIdentity/userAssignedIdentities'

describe('actionMatches', () => {
  const cases: Array<[pattern: string, action: string, want: boolean]> = [
    ['*', 'Microsoft.Compute/virtualMachines/write', true],
    ['*', 'anything', true],
    ['*/read', 'Microsoft.Compute/virtualMachines/read', true],
    ['*/read', 'Microsoft.Compute/virtualMachines/write', false],
    ['*/read', 'read', false],
    ['Microsoft.Storage/*/read', 'Microsoft.Storage/storageAccounts/read', true],
    ['Microsoft.Storage/*/read', 'Microsoft.Storage/storageAccounts/blobServices/read', true],
    ['Microsoft.Storage/*/read', 'Microsoft.Compute/disks/read', false],
    ['Microsoft.Storage/*/read', 'Microsoft.Storage/storageAccounts/write', false],
    ['Microsoft.Compute/*', 'Microsoft.Compute/virtualMachines/start/action', true],
    ['Microsoft.Compute/*', 'Microsoft.Compute', false],
    ['Microsoft.Compute/*', 'Microsoft.ComputeX/a/read', false],
    ['Microsoft.Compute/virtualMachines/*', 'Microsoft.Compute/virtualMachines/read', true],
    ['Microsoft.Compute/virtualMachines/*', 'Microsoft.Compute/virtualMachinesX/read', false],
    ['Microsoft.Compute/virtualMachines/read', 'microsoft.compute/VIRTUALMACHINES/Read', true],
    ['MICROSOFT.AUTHORIZATION/*/WRITE', 'Microsoft.Authorization/roleAssignments/write', true],
    ['Microsoft.Authorization/*/Write', 'Microsoft.Authorization/roleAssignments/read', false],
    [`${MI}/*/assign/action`, `${MI}/assign/action`, true],
    [`${MI}/*/assign/action`, `${MI}/federatedIdentityCredentials/assign/action`, true],
    [`${MI}/*/assign/action`, `${MI}/assignX/action`, false],
    [`${MI}/*/read`, `${MI}/read`, true],
    [`${MI}/*/read`, `${MI}/write`, false],
    ['Microsoft.*/*/read', 'Microsoft.Web/sites/read', true],
    ['Microsoft.*/*/read', 'Contoso.Web/sites/read', false],
    ['*/*/read', 'a/b/read', true],
    ['a.b/c?d', 'a.b/c?d', true],
    ['a.b/c?d', 'aXb/cxd', false],
    [
      'Microsoft.KeyVault/vaults/secrets/*',
      'Microsoft.KeyVault/vaults/secrets/getSecret/action',
      true,
    ],
    ['Microsoft.KeyVault/vaults/*/read', 'Microsoft.KeyVault/vaults/secrets/read', true],
    ['Microsoft.KeyVault/vaults/*/read', 'Microsoft.KeyVault/vaults/read', true],
    ['Microsoft.Web/sites*', 'Microsoft.Web/sites/slots/read', true],
  ]
  for (const [pattern, action, want] of cases) {
    it(`${want ? 'matches' : 'does not match'} '${action}' against '${pattern}'`, () => {
      assert.equal(actionMatches(pattern, action), want)
    })
  }
})

describe('compilePatternList', () => {
  it('returns the first matching pattern in its original casing', () => {
    const list = compilePatternList(['Microsoft.Web/sites/read', 'Microsoft.Web/*', '*'])
    assert.equal(list.find('microsoft.web/sites/read'), 'Microsoft.Web/sites/read')
    assert.equal(list.find('microsoft.web/sites/write'), 'Microsoft.Web/*')
    assert.equal(list.find('microsoft.compute/disks/read'), '*')
  })

  it('finds nothing in an empty list', () => {
    assert.equal(compilePatternList([]).find('a/read'), undefined)
  })
})
