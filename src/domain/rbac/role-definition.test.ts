import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isWellFormedAction, validateCustomRoleDefinition } from './role-definition.js'

const SUB = '/subscriptions/s1'
const valid = () => ({
  roleName: 'VM Restarter',
  description: 'Restarts VMs',
  type: 'CustomRole',
  permissions: [
    {
      actions: ['Microsoft.Compute/virtualMachines/restart/action', 'Microsoft.Compute/*/read'],
      notActions: [],
      dataActions: [],
      notDataActions: [],
    },
  ],
  assignableScopes: [`${SUB}/resourceGroups/RG1`, `${SUB}//resourceGroups/rg1`, SUB],
})

describe('validateCustomRoleDefinition', () => {
  it('accepts a custom role and normalizes its assignable scopes', () => {
    const r = validateCustomRoleDefinition(valid())
    assert.equal(r.roleName, 'VM Restarter')
    assert.deepEqual(r.assignableScopes, [`${SUB}/resourceGroups/RG1`, SUB])
    assert.deepEqual(r.permissions[0]!.notDataActions, [])
  })

  it('defaults missing arrays, type and description', () => {
    const r = validateCustomRoleDefinition({
      roleName: 'Blob peeker',
      permissions: [{ dataActions: ['Microsoft.Storage/*/read'] }],
      assignableScopes: [SUB],
    })
    assert.equal(r.description, '')
    assert.deepEqual(r.permissions, [
      {
        actions: [],
        notActions: [],
        dataActions: ['Microsoft.Storage/*/read'],
        notDataActions: [],
      },
    ])
  })

  const bad: Array<[string, (p: Record<string, any>) => unknown, string, string]> = [
    [
      'no role name',
      (p) => ({ ...p, roleName: ' ' }),
      'RoleDefinitionNameNullOrEmpty',
      'The role definition name cannot be null or empty.',
    ],
    [
      'a role name too long',
      (p) => ({ ...p, roleName: 'x'.repeat(513) }),
      'InvalidRoleDefinition',
      'the role name must be at most 512 characters long',
    ],
    [
      'type BuiltInRole',
      (p) => ({ ...p, type: 'BuiltInRole' }),
      'InvalidRoleDefinitionType',
      "The role definition type 'BuiltInRole' is not valid: only custom roles can be created or updated.",
    ],
    [
      'a description too long',
      (p) => ({ ...p, description: 'x'.repeat(2049) }),
      'InvalidRoleDefinition',
      'the description must be at most 2048 characters long',
    ],
    [
      'permissions not an array',
      (p) => ({ ...p, permissions: {} }),
      'InvalidRoleDefinition',
      'permissions must be an array',
    ],
    [
      'a permission that is not an object',
      (p) => ({ ...p, permissions: ['*'] }),
      'InvalidRoleDefinition',
      'each entry of permissions must be an object',
    ],
    [
      'actions not an array',
      (p) => ({ ...p, permissions: [{ actions: '*' }] }),
      'InvalidRoleDefinition',
      'permissions.actions must be an array of strings',
    ],
    [
      'no action at all',
      (p) => ({ ...p, permissions: [{ notActions: ['*/write'] }] }),
      'InvalidRoleDefinition',
      'a custom role must grant at least one action or data action',
    ],
    [
      'a malformed action',
      (p) => ({ ...p, permissions: [{ actions: ['read'] }] }),
      'InvalidActionOrNotAction',
      "'read' does not match any of the actions supported by the providers.",
    ],
    [
      'a malformed data action',
      (p) => ({ ...p, permissions: [{ dataActions: ['Microsoft.Storage//read'] }] }),
      'InvalidDataActionOrNotDataAction',
      "'Microsoft.Storage//read' does not match any of the actions supported by the providers.",
    ],
    [
      'an action with two wildcards',
      (p) => ({ ...p, permissions: [{ actions: ['Microsoft.CostManagement/*/query/*'] }] }),
      'InvalidActionOrNotAction',
      "'Microsoft.CostManagement/*/query/*' contains multiple wildcards. Only one is allowed.",
    ],
    [
      'a not-action with five wildcards',
      (p) => ({
        ...p,
        permissions: [{ actions: ['*/read'], notActions: ['Microsoft.a*a*a*a*a*/x'] }],
      }),
      'InvalidActionOrNotAction',
      "'Microsoft.a*a*a*a*a*/x' contains multiple wildcards. Only one is allowed.",
    ],
    [
      'a data action with two wildcards',
      (p) => ({ ...p, permissions: [{ dataActions: ['Microsoft.Storage/*/blobs/*'] }] }),
      'InvalidDataActionOrNotDataAction',
      "'Microsoft.Storage/*/blobs/*' contains multiple wildcards. Only one is allowed.",
    ],
    [
      'a non-string action',
      (p) => ({ ...p, permissions: [{ actions: [7] }] }),
      'InvalidActionOrNotAction',
      "'7' does not match any of the actions supported by the providers.",
    ],
    [
      'no assignable scopes',
      (p) => ({ ...p, assignableScopes: [] }),
      'MissingAssignableScopes',
      'The role definition must have at least one assignable scope.',
    ],
    [
      'an invalid assignable scope',
      (p) => ({ ...p, assignableScopes: ['Invalid_Scope'] }),
      'LinkedInvalidPropertyId',
      "The scope 'Invalid_Scope' in assignableScopes is not valid.",
    ],
    [
      'the root scope',
      (p) => ({ ...p, assignableScopes: ['/'] }),
      'InvalidAssignableScopes',
      "The root scope '/' cannot be an assignable scope of a custom role. Use subscriptions, resource groups or resources.",
    ],
  ]
  for (const [what, change, code, message] of bad) {
    it(`rejects ${what} with ${code}`, () => {
      assert.throws(() => validateCustomRoleDefinition(change(valid())), {
        status: 400,
        code,
        message,
      })
    })
  }

  it('rejects a body without properties', () => {
    assert.throws(() => validateCustomRoleDefinition(null), { code: 'InvalidRoleDefinition' })
  })
})

describe('isWellFormedAction', () => {
  const cases: Array<[string, boolean]> = [
    ['*', true],
    ['*/read', true],
    ['Microsoft.Support/*', true],
    ['Microsoft.*/*/read', true],
    ['Microsoft.KeyVault/vaults/secrets/getSecret/action', true],
    ['Microsoft.Web/sites/slots/config/list/Action', true],
    ['read', false],
    ['Microsoft.Compute', false],
    ['/Microsoft.Compute/read', false],
    ['Microsoft.Compute/read/', false],
    ['Microsoft.Compute/vm s/read', false],
  ]
  for (const [action, want] of cases) {
    it(`${want ? 'accepts' : 'rejects'} '${action}'`, () =>
      assert.equal(isWellFormedAction(action), want))
  }
})
