import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { NAME_RULES, validateResourceGroupName, validateResourceName } from './names.js'

const VM = 'Microsoft.Compute/virtualMachines'
const SITES = 'Microsoft.Web/sites'
const SLOTS = 'Microsoft.Web/sites/slots'
const UAMI = 'Microsoft.ManagedIdentity/userAssignedIdentities'
const VAULT = 'Microsoft.KeyVault/vaults'
const STORAGE = 'Microsoft.Storage/storageAccounts'
const WORKLOAD = 'Keyless.Compute/workloads'

const cases: Array<[type: string, name: string, valid: boolean]> = [
  [VM, 'a', true],
  [VM, 'web-01.prod_x', true],
  [VM, 'x_', true],
  [VM, 'a'.repeat(64), true],
  [VM, 'a'.repeat(65), false],
  [VM, '', false],
  [VM, '-a', false],
  [VM, '_a', false],
  [VM, 'a.', false],
  [VM, 'a-', false],
  [VM, 'a b', false],
  [SITES, 'ab', true],
  [SITES, 'my-App-1', true],
  [SITES, 'a'.repeat(60), true],
  [SITES, 'a'.repeat(61), false],
  [SITES, 'a', false],
  [SITES, '-ab', false],
  [SITES, 'ab-', false],
  [SITES, 'a_b', false],
  [SLOTS, 'staging', true],
  [SLOTS, 'a'.repeat(59), true],
  [SLOTS, 'a'.repeat(60), false],
  [SLOTS, 'st-', false],
  [UAMI, 'id1', true],
  [UAMI, '1d_x-y', true],
  [UAMI, 'a'.repeat(128), true],
  [UAMI, 'a'.repeat(129), false],
  [UAMI, 'ab', false],
  [UAMI, '_ab', false],
  [UAMI, 'a.b', false],
  [VAULT, 'kv1', true],
  [VAULT, 'My-Vault-2', true],
  [VAULT, 'a'.repeat(24), true],
  [VAULT, 'a'.repeat(25), false],
  [VAULT, '1kv', false],
  [VAULT, 'kv-', false],
  [VAULT, 'k--v', false],
  [VAULT, 'kv', false],
  [STORAGE, 'acct01', true],
  [STORAGE, 'a'.repeat(24), true],
  [STORAGE, 'a'.repeat(25), false],
  [STORAGE, 'ab', false],
  [STORAGE, 'Acct01', false],
  [STORAGE, 'acct-01', false],
  [WORKLOAD, 'job.worker_1', true],
  [WORKLOAD, 'job.', false],
]

describe('validateResourceName', () => {
  it('accepts and rejects names by each type’s Azure rule', () => {
    for (const [type, name, valid] of cases) {
      if (valid) {
        assert.doesNotThrow(() => validateResourceName(type, name), `${type} ${name}`)
        continue
      }
      assert.throws(
        () => validateResourceName(type, name),
        {
          code: 'InvalidResourceName',
          status: 400,
          target: 'name',
          message: `resource name '${name}' is invalid for type '${type}': it must ${NAME_RULES[type.toLowerCase()]?.description}`,
        },
        `${type} ${name}`,
      )
    }
  })

  it('looks the type up case-insensitively', () => {
    assert.doesNotThrow(() => validateResourceName('microsoft.web/SITES', 'app1'))
  })

  it('spells out the rule in the message', () => {
    assert.throws(() => validateResourceName(VAULT, 'k--v'), {
      message:
        "resource name 'k--v' is invalid for type 'Microsoft.KeyVault/vaults': it must be 3 to 24 letters, digits or '-', start with a letter, end with a letter or digit, and not contain '--'",
    })
  })

  it('treats a type without a rule as a programming error', () => {
    assert.throws(() => validateResourceName('Microsoft.Sql/servers', 'x'), {
      name: 'TypeError',
      message: "no naming rule for resource type 'Microsoft.Sql/servers'",
    })
  })
})

describe('validateResourceGroupName', () => {
  it('accepts letters (Unicode too), digits and _ ( ) - .', () => {
    for (const name of ['rg', 'RG_1', 'my.group(prod)-x', 'grüppe', 'グループ', 'a'.repeat(90)]) {
      assert.doesNotThrow(() => validateResourceGroupName(name), name)
    }
  })

  it('rejects bad names with InvalidResourceGroup and the reason', () => {
    const chars = "the name can only contain letters, digits, '-', '.', '(', ')' or '_'"
    const rows: Array<[string, string]> = [
      ['', "resource group name '' is invalid: it must be 1 to 90 characters long"],
      [
        'a'.repeat(91),
        `resource group name '${'a'.repeat(91)}' is invalid: it must be 1 to 90 characters long`,
      ],
      ['rg.', "resource group name 'rg.' is invalid: it must not end with '.'"],
      ['my rg!', `resource group name 'my rg!' has these invalid characters: ' !'; ${chars}`],
      ['a/b/c', `resource group name 'a/b/c' has these invalid characters: '/'; ${chars}`],
    ]
    for (const [name, message] of rows) {
      assert.throws(
        () => validateResourceGroupName(name),
        { code: 'InvalidResourceGroup', status: 400, message },
        name,
      )
    }
  })
})
