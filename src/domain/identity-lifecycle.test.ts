import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  assertCanHoldIdentity,
  consequencesOfDeleting,
  identityTypeOf,
  planIdentityChange,
  principalAlternativeNames,
  systemPrincipalDisplayName,
  type IdentityState,
} from './identity-lifecycle.js'
import { parseIdentitySpec } from './identity-spec.js'
import { parseResourceId } from './resource-id.js'

const U =
  '/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.ManagedIdentity/userAssignedIdentities'
const A = `${U}/A`
const B = `${U}/B`
const C = `${U}/C`
const a = A.toLowerCase()
const b = B.toLowerCase()
const c = C.toLowerCase()

const state = (system: boolean, ...userAssigned: string[]): IdentityState => ({
  system,
  userAssigned,
})

interface Row {
  name: string
  current: IdentityState
  mode: 'put' | 'patch'
  identity: unknown
  next: IdentityState
  createSystem?: boolean
  deleteSystem?: boolean
  attach?: string[]
  detach?: string[]
}

const rows: Row[] = [
  {
    name: 'PUT without identity removes everything',
    current: state(true, a),
    mode: 'put',
    identity: undefined,
    next: state(false),
    deleteSystem: true,
    detach: [a],
  },
  {
    name: 'PATCH without identity changes nothing',
    current: state(true, a),
    mode: 'patch',
    identity: undefined,
    next: state(true, a),
  },
  {
    name: 'PUT SystemAssigned on a bare resource creates the system principal',
    current: state(false),
    mode: 'put',
    identity: { type: 'SystemAssigned' },
    next: state(true),
    createSystem: true,
  },
  {
    name: 'PUT keeps an existing system principal',
    current: state(true),
    mode: 'put',
    identity: { type: 'SystemAssigned' },
    next: state(true),
  },
  {
    name: 'PUT replaces the user-assigned list wholesale',
    current: state(false, a, b),
    mode: 'put',
    identity: { type: 'UserAssigned', userAssignedIdentities: { [B]: {}, [C]: {} } },
    next: state(false, b, c),
    attach: [C],
    detach: [a],
  },
  {
    name: 'PATCH with {} adds and keeps unlisted identities',
    current: state(false, a),
    mode: 'patch',
    identity: { type: 'UserAssigned', userAssignedIdentities: { [B]: {} } },
    next: state(false, a, b),
    attach: [B],
  },
  {
    name: 'PATCH with null removes only that identity',
    current: state(true, a, b),
    mode: 'patch',
    identity: { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [B]: null } },
    next: state(true, a),
    detach: [b],
  },
  {
    name: 'PATCH attaching an identity already attached is a no-op, whatever its casing',
    current: state(false, a),
    mode: 'patch',
    identity: {
      type: 'UserAssigned',
      userAssignedIdentities: { [A.toUpperCase().replace('/SUBSCRIPTIONS', '/subscriptions')]: {} },
    },
    next: state(false, a),
  },
  {
    name: 'PATCH removing an identity that is not attached is a no-op',
    current: state(true, a),
    mode: 'patch',
    identity: { userAssignedIdentities: { [B]: null } },
    next: state(true, a),
  },
  {
    name: 'PATCH None removes everything',
    current: state(true, a, b),
    mode: 'patch',
    identity: { type: 'None' },
    next: state(false),
    deleteSystem: true,
    detach: [a, b],
  },
  {
    name: 'PATCH to SystemAssigned detaches every user-assigned identity',
    current: state(true, a, b),
    mode: 'patch',
    identity: { type: 'SystemAssigned' },
    next: state(true),
    detach: [a, b],
  },
  {
    name: 'PATCH to UserAssigned deletes the system principal and keeps the list',
    current: state(true, a),
    mode: 'patch',
    identity: { type: 'UserAssigned' },
    next: state(false, a),
    deleteSystem: true,
  },
  {
    name: 'PATCH re-enabling SystemAssigned creates a fresh principal',
    current: state(false, a),
    mode: 'patch',
    identity: { type: 'SystemAssigned, UserAssigned' },
    next: state(true, a),
    createSystem: true,
  },
  {
    name: 'PATCH without type adds an identity and keeps the system principal',
    current: state(true),
    mode: 'patch',
    identity: { userAssignedIdentities: { [A]: {} } },
    next: state(true, a),
    attach: [A],
  },
  {
    name: 'PATCH without type removing the last identity leaves no identity',
    current: state(false, a),
    mode: 'patch',
    identity: { userAssignedIdentities: { [A]: null } },
    next: state(false),
    detach: [a],
  },
  {
    name: 'PUT compares current keys case-insensitively',
    current: state(false, A),
    mode: 'put',
    identity: { type: 'UserAssigned', userAssignedIdentities: { [A]: {} } },
    next: state(false, a),
  },
]

describe('planIdentityChange', () => {
  for (const row of rows) {
    it(row.name, () => {
      const plan = planIdentityChange(
        row.current,
        parseIdentitySpec(row.identity, row.mode),
        row.mode,
      )
      assert.deepEqual(plan.next, row.next)
      assert.equal(plan.createSystem, row.createSystem ?? false)
      assert.equal(plan.deleteSystem, row.deleteSystem ?? false)
      assert.deepEqual(
        plan.attach.map((id) => id.id),
        row.attach ?? [],
      )
      assert.deepEqual(plan.detach, row.detach ?? [])
    })
  }

  it('rejects a UserAssigned type that would end with no identities', () => {
    const cases: Array<[IdentityState, 'put' | 'patch', unknown, string]> = [
      [state(false), 'put', { type: 'UserAssigned' }, 'UserAssigned'],
      [
        state(false),
        'put',
        { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: {} },
        'SystemAssigned, UserAssigned',
      ],
      [
        state(false, a),
        'patch',
        { type: 'UserAssigned', userAssignedIdentities: { [A]: null } },
        'UserAssigned',
      ],
      [
        state(true),
        'patch',
        { type: 'SystemAssigned, UserAssigned' },
        'SystemAssigned, UserAssigned',
      ],
    ]
    for (const [current, mode, identity, type] of cases) {
      assert.throws(
        () => planIdentityChange(current, parseIdentitySpec(identity, mode), mode),
        {
          code: 'MissingIdentityIds',
          status: 400,
          message: `the identity ids must not be null or empty for '${type}' identity type`,
        },
        JSON.stringify(identity),
      )
    }
  })
})

describe('identity rules', () => {
  it('derives the wire type from state', () => {
    const cases: Array<[IdentityState, string]> = [
      [state(false), 'None'],
      [state(true), 'SystemAssigned'],
      [state(false, a), 'UserAssigned'],
      [state(true, a), 'SystemAssigned, UserAssigned'],
    ]
    for (const [s, want] of cases) assert.equal(identityTypeOf(s), want)
  })

  it('names a system principal after its resource, and a slot as app/slots/slot', () => {
    const rg = '/subscriptions/s1/resourceGroups/rg1/providers'
    const cases: Array<[string, string]> = [
      [`${rg}/Microsoft.Compute/virtualMachines/vm1`, 'vm1'],
      [`${rg}/Microsoft.Web/sites/app1`, 'app1'],
      [`${rg}/Microsoft.Web/sites/app1/slots/staging`, 'app1/slots/staging'],
      [`${rg}/microsoft.web/SITES/app1/SLOTS/staging`, 'app1/slots/staging'],
      [`${rg}/Keyless.Compute/workloads/job`, 'job'],
    ]
    for (const [id, want] of cases)
      assert.equal(systemPrincipalDisplayName(parseResourceId(id)), want)
    assert.throws(() => systemPrincipalDisplayName(parseResourceId('/subscriptions/s1')), {
      name: 'TypeError',
      message: "'/subscriptions/s1' is not a resource",
    })
  })

  it('gives principals Entra’s alternativeNames', () => {
    const vm = parseResourceId(
      '/subscriptions/s1/resourcegroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1',
    )
    assert.deepEqual(principalAlternativeNames('SystemAssigned', vm), [
      'isExplicit=False',
      '/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1',
    ])
    assert.deepEqual(principalAlternativeNames('UserAssigned', parseResourceId(A)), [
      'isExplicit=True',
      A,
    ])
  })

  it('lets only compute types hold an identity', () => {
    for (const type of [
      'Microsoft.Compute/virtualMachines',
      'microsoft.web/sites',
      'Microsoft.Web/sites/slots',
      'Keyless.Compute/workloads',
    ]) {
      assert.doesNotThrow(() => assertCanHoldIdentity(type), type)
    }
    for (const type of [
      'Microsoft.KeyVault/vaults',
      'Microsoft.Storage/storageAccounts',
      'Microsoft.ManagedIdentity/userAssignedIdentities',
      'Microsoft.Sql/servers',
    ]) {
      assert.throws(
        () => assertCanHoldIdentity(type),
        {
          code: 'IdentityNotSupported',
          status: 400,
          message: `resource type '${type}' cannot have an identity: only compute resources hold managed identities`,
        },
        type,
      )
    }
  })

  it('spells out what deleting each kind of resource implies', () => {
    const none = {
      childTypes: [],
      deleteSystemPrincipal: false,
      dropAttachments: false,
      detachEverywhere: false,
      deleteIdentityPrincipal: false,
      deleteFederatedCredentials: false,
    }
    const compute = { ...none, deleteSystemPrincipal: true, dropAttachments: true }
    const cases: Array<[string, object]> = [
      ['Microsoft.Compute/virtualMachines', compute],
      ['Microsoft.Web/sites', { ...compute, childTypes: ['Microsoft.Web/sites/slots'] }],
      ['microsoft.web/sites/slots', compute],
      ['Keyless.Compute/workloads', compute],
      [
        'Microsoft.ManagedIdentity/userAssignedIdentities',
        {
          ...none,
          detachEverywhere: true,
          deleteIdentityPrincipal: true,
          deleteFederatedCredentials: true,
        },
      ],
      ['Microsoft.KeyVault/vaults', none],
      ['Microsoft.Storage/storageAccounts', none],
    ]
    for (const [type, want] of cases) assert.deepEqual(consequencesOfDeleting(type), want, type)
  })
})
