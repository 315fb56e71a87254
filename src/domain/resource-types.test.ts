import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseResourceId } from './resource-id.js'
import { canonicalizeResourceId, lookupResourceType, RESOURCE_TYPES } from './resource-types.js'

describe('resource types', () => {
  it('catalogs each served type with its compute flag and parent', () => {
    const want: Array<[string, boolean, string | undefined]> = [
      ['Microsoft.Compute/virtualMachines', true, undefined],
      ['Microsoft.Web/sites', true, undefined],
      ['Microsoft.Web/sites/slots', true, 'Microsoft.Web/sites'],
      ['Microsoft.ManagedIdentity/userAssignedIdentities', false, undefined],
      ['Microsoft.KeyVault/vaults', false, undefined],
      ['Microsoft.Storage/storageAccounts', false, undefined],
      ['Keyless.Compute/workloads', true, undefined],
      ['Microsoft.HybridCompute/machines', true, undefined],
    ]
    assert.deepEqual(
      RESOURCE_TYPES.map((t) => [t.type, t.isCompute, t.parentType]),
      want,
    )
  })

  it('looks types up case-insensitively and returns the canonical casing', () => {
    const cases: Array<[string, string | undefined]> = [
      ['microsoft.web/SITES/slots', 'Microsoft.Web/sites/slots'],
      [
        'MICROSOFT.MANAGEDIDENTITY/USERASSIGNEDIDENTITIES',
        'Microsoft.ManagedIdentity/userAssignedIdentities',
      ],
      ['keyless.compute/workloads', 'Keyless.Compute/workloads'],
      ['Microsoft.Sql/servers', undefined],
      ['Microsoft.Web', undefined],
    ]
    for (const [raw, want] of cases) assert.equal(lookupResourceType(raw)?.type, want, raw)
  })

  it('gives each type its namespace and name rule', () => {
    const slots = lookupResourceType('Microsoft.Web/sites/slots')
    assert.equal(slots?.namespace, 'Microsoft.Web')
    assert.equal(slots?.key, 'microsoft.web/sites/slots')
    assert.equal(slots?.nameRule.pattern.test('staging'), true)
  })

  it('rewrites namespace and type casing in an id but keeps names', () => {
    const cases: Array<[string, string]> = [
      [
        '/subscriptions/s1/resourcegroups/RG/providers/microsoft.web/SITES/App/SLOTS/Stg',
        '/subscriptions/s1/resourceGroups/RG/providers/Microsoft.Web/sites/App/slots/Stg',
      ],
      [
        '/subscriptions/s1/resourceGroups/RG/providers/Microsoft.Web/sites/App',
        '/subscriptions/s1/resourceGroups/RG/providers/Microsoft.Web/sites/App',
      ],
      [
        '/subscriptions/s1/resourceGroups/RG/providers/other.ns/things/x',
        '/subscriptions/s1/resourceGroups/RG/providers/other.ns/things/x',
      ],
      ['/subscriptions/s1/resourcegroups/RG', '/subscriptions/s1/resourceGroups/RG'],
    ]
    for (const [raw, want] of cases) {
      const rid = canonicalizeResourceId(parseResourceId(raw))
      assert.equal(rid.id, want, raw)
      assert.equal(rid.parent?.id, rid.parent && want.replace(/\/slots\/Stg$/, ''), raw)
    }
  })
})
