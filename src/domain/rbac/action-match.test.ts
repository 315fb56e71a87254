import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { actionMatches, compilePatternList, countWildcards } from './action-match.js'

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
    ['Microsoft.*/*/read', 'Microsoft.Web/read', true],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'axxbyyc', true],
    ['a*b*c', 'acb', false],
    ['a*b*c', 'abcb', false],
    ['a*bc*bc', 'abcbc', true],
    ['a*bc*bc', 'abc', false],
    ['*ab*', 'xxaxxab', true],
    ['a*a', 'a', false],
    ['a*a', 'aa', true],
    ['*/*/read', 'a/read', true],
    ['*/*/read', 'read', false],
    ['a/*/b/*/c', 'a/b/c', true],
    ['a/*/b/*/c', 'a/x/b/y/c', true],
    ['a/*/b/*/c', 'a/bc', false],
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

describe('wildcard matching cost', () => {
  // A hang guard, not a speed assertion: the RegExp matcher this replaced took seconds (hours at
  // 1,024 characters) on these, and blocked the event loop for every other request meanwhile.
  const action = `Microsoft.${'a'.repeat(1024 - 'Microsoft./y'.length)}/y`
  const patterns = [
    'Microsoft.a*a*a*a*a*/x',
    `Microsoft.${'a*'.repeat(40)}/x`,
    `*${'a*'.repeat(100)}b`,
    `${'*/'.repeat(50)}*/x`,
  ]
  for (const pattern of patterns) {
    // No clock: a backtracking matcher tries ~C(1024, 20) splits here and never returns, so
    // the run's timeout fails it (the test runner's, or Stryker's for a mutant); a wall-clock
    // bound would also fail a correct matcher on a busy machine or under instrumentation.
    it(`rejects a 1,024-character action against '${pattern.slice(0, 40)}' without backtracking`, () => {
      for (let i = 0; i < 10; i++) assert.equal(actionMatches(pattern, action), false)
    })
  }
})

describe('countWildcards', () => {
  for (const [pattern, n] of [
    ['a/read', 0],
    ['*', 1],
    ['Microsoft.Compute/*/read', 1],
    ['Microsoft.CostManagement/*/query/*', 2],
  ] as const) {
    it(`counts ${n} in '${pattern}'`, () => assert.equal(countWildcards(pattern), n))
  }
})
