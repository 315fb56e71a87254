import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { scopeAncestors } from '../resource-id.js'
import { ancestorKeys, scopeKeyOf } from './scope-path.js'

const SUB = '/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333'
const RG = `${SUB}/resourceGroups/My_RG.1`
const SA = `${RG}/providers/Microsoft.Storage/storageAccounts/acct`

describe('ancestorKeys', () => {
  const valid = [
    '/',
    SUB,
    RG,
    `${RG}/providers/Microsoft.Compute/virtualMachines/vm1`,
    `${RG}/providers/Microsoft.Web/sites/app/slots/staging`,
    `${SUB}/providers/Microsoft.Web/sites/app`,
    `${SA}/blobServices/default/containers/c1`,
    `${SA}/blobServices/default/containers/c1/blobs/dir/sub/file.txt`,
    `${SA}/blobServices/default/containers/c1/blobs/a`,
    `${RG}/providers/Microsoft.Compute/virtualMachines/vm..1`,
    `${RG}/providers/Microsoft.Compute/virtualMachines/.vm`,
    `${RG}/providers/Microsoft.Compute/virtualMachines/vm.`,
    `${RG}/providers/Microsoft.KeyVault/vaults/kv1/secrets/db-pass`,
    `${RG.toUpperCase()}/PROVIDERS/Microsoft.Compute/virtualMachines/VM1`,
  ]
  for (const scope of valid) {
    it(`agrees with scopeAncestors on '${scope}'`, () => {
      assert.deepEqual(ancestorKeys(scope), scopeAncestors(scope.toLowerCase()))
    })
  }

  it('lists the scope first and the root last', () => {
    assert.deepEqual(ancestorKeys(`${RG}/providers/Microsoft.Web/sites/App/slots/S`), [
      `${RG}/providers/Microsoft.Web/sites/App/slots/S`.toLowerCase(),
      `${RG}/providers/Microsoft.Web/sites/App`.toLowerCase(),
      RG.toLowerCase(),
      SUB,
      '/',
    ])
  })

  const unusual = [
    `${SUB}//resourceGroups//rg`,
    `${SUB}/resourceGroups/rg%2Fx`,
    `${SUB}/resourceGroups/rg/../other`,
    `${SUB}/resourceGroups/./rg`,
    `${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/..`,
    `${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/.`,
    `${SUB}/resourceGroups/rg/providers/Microsoft..Compute/virtualMachines/vm`,
    `${SUB}/resourceGroups/rg/providers/Microsoft.Compute./virtualMachines/vm`,
    `${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtual-machines/vm`,
    `${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm 1`,
    `${SUB}/resourceGroups/rg/`,
    `${SUB}/resourceGroups`,
    `${SUB}/resourceGroups/rg/providers/Microsoft.Compute`,
    `${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines`,
    `${SUB}/resourceGroups/rg/providers/nonamespace/x/y`,
    `${SUB}/resourceGroups/rg/providers/Microsoft.Web/sites/a/providers/Microsoft.X/y/z`,
    '/tenants/t1',
    'subscriptions/s1',
    '',
  ]
  for (const scope of unusual) {
    it(`defers to scopeAncestors for '${scope}'`, () => {
      let want: unknown
      let got: unknown
      try {
        want = scopeAncestors(scope.toLowerCase())
      } catch (e) {
        want = e
      }
      try {
        got = ancestorKeys(scope)
      } catch (e) {
        got = e
      }
      assert.deepEqual(got, want)
    })
  }

  it('gives the key of a scope', () => {
    assert.equal(scopeKeyOf(`${SUB}//resourceGroups/RG`), `${SUB}/resourcegroups/rg`)
    assert.equal(scopeKeyOf('/'), '/')
  })
})
