import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { BUILT_IN_ROLES, BUILT_IN_ROLE_IDS } from './built-in-roles.js'
import { createRoleCatalog } from './compiled-role.js'
import { evaluate, NO_ASSIGNMENT_REASON, type AccessDecision } from './evaluate.js'
import {
  EVERYONE,
  type DenyAssignmentRule,
  type RoleAssignmentGrant,
  type RoleDefinition,
} from './types.js'

const P = 'aaaaaaaa-0000-0000-0000-000000000001'
const Q = 'aaaaaaaa-0000-0000-0000-000000000002'
const SUB = '/subscriptions/s1'
const RG1 = `${SUB}/resourceGroups/rg1`
const RG10 = `${SUB}/resourceGroups/rg10`
const VM = `${RG1}/providers/Microsoft.Compute/virtualMachines/vm1`
const SA = `${RG1}/providers/Microsoft.Storage/storageAccounts/acct`
const BLOB = `${SA}/blobServices/default/containers/c1/blobs/dir/a.txt`
const KV_SECRET = `${RG1}/providers/Microsoft.KeyVault/vaults/kv1/secrets/db`
const UAMI = `${RG1}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1`

const STORAGE_READER: RoleDefinition = {
  id: 'cccccccc-0000-0000-0000-000000000001',
  roleName: 'Storage Reader',
  type: 'CustomRole',
  description: '',
  permissions: [
    { actions: ['Microsoft.Storage/*/read'], notActions: [], dataActions: [], notDataActions: [] },
  ],
  assignableScopes: [SUB],
}
const roles = createRoleCatalog([...BUILT_IN_ROLES, STORAGE_READER])
const ID = {
  ...BUILT_IN_ROLE_IDS,
  storageReader: STORAGE_READER.id,
  blobReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
  secretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
  uaa: '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
}

let n = 0
const assign = (scope: string, roleDefinitionId: string, principalId = P, condition?: string) =>
  ({ id: `ra-${++n}`, scope, roleDefinitionId, principalId, condition }) as RoleAssignmentGrant

const deny = (over: Partial<DenyAssignmentRule>): DenyAssignmentRule => ({
  id: 'deny-1',
  name: 'no deletes',
  scope: RG1,
  permissions: [{ actions: ['*/delete'], notActions: [], dataActions: [], notDataActions: [] }],
  principals: [{ id: P, type: 'ServicePrincipal' }],
  excludePrincipals: [],
  doNotApplyToChildScopes: false,
  ...over,
})

interface Case {
  name: string
  assignments: RoleAssignmentGrant[]
  denies?: DenyAssignmentRule[]
  action: string
  scope: string
  data?: boolean
  principal?: string
  want: AccessDecision['decision']
  /** Expected substring of the reason, or the exact grant permission. */
  reason?: string
  permission?: string
}

const cases: Case[] = [
  {
    name: 'an assignment at the subscription covers a VM below it',
    assignments: [assign(SUB, ID.contributor)],
    action: 'Microsoft.Compute/virtualMachines/write',
    scope: VM,
    want: 'allowed',
    permission: '*',
  },
  {
    name: 'an assignment on one group does not cover a group whose name extends it',
    assignments: [assign(RG1, ID.contributor)],
    action: 'Microsoft.Compute/virtualMachines/write',
    scope: `${RG10}/providers/Microsoft.Compute/virtualMachines/vm1`,
    want: 'notAllowed',
    reason: NO_ASSIGNMENT_REASON,
  },
  {
    name: 'an assignment below the scope does not apply above it',
    assignments: [assign(VM, ID.owner)],
    action: 'Microsoft.Resources/subscriptions/resourceGroups/read',
    scope: RG1,
    want: 'notAllowed',
    reason: NO_ASSIGNMENT_REASON,
  },
  {
    name: 'the root scope covers everything',
    assignments: [assign('/', ID.reader)],
    action: 'Microsoft.Web/sites/read',
    scope: `${RG1}/providers/Microsoft.Web/sites/app`,
    want: 'allowed',
    permission: '*/read',
  },
  {
    name: 'scopes and actions compare case-insensitively',
    assignments: [assign(RG1.toUpperCase(), ID.reader)],
    action: 'MICROSOFT.COMPUTE/VIRTUALMACHINES/READ',
    scope: VM.toLowerCase(),
    want: 'allowed',
  },
  {
    name: "Reader's */read does not grant a write, and says so",
    assignments: [assign(RG1, ID.reader)],
    action: 'Microsoft.Compute/virtualMachines/write',
    scope: VM,
    want: 'notAllowed',
    reason: "role Reader grants '*/read' but not 'Microsoft.Compute/virtualMachines/write'",
  },
  {
    name: 'a namespace wildcard grants reads in that namespace',
    assignments: [assign(RG1, ID.storageReader)],
    action: 'Microsoft.Storage/storageAccounts/read',
    scope: SA,
    want: 'allowed',
    permission: 'Microsoft.Storage/*/read',
  },
  {
    name: 'a namespace wildcard grants nothing in another namespace',
    assignments: [assign(RG1, ID.storageReader)],
    action: 'Microsoft.Compute/virtualMachines/read',
    scope: VM,
    want: 'notAllowed',
  },
  {
    name: "Contributor's notActions take role assignment writes out of its *",
    assignments: [assign(SUB, ID.contributor)],
    action: 'Microsoft.Authorization/roleAssignments/write',
    scope: RG1,
    want: 'notAllowed',
    reason:
      "role Contributor grants '*' but excludes 'Microsoft.Authorization/*/Write' (notActions)",
  },
  {
    name: "another role still grants what Contributor's notActions exclude",
    assignments: [assign(SUB, ID.contributor), assign(RG1, ID.uaa)],
    action: 'Microsoft.Authorization/roleAssignments/write',
    scope: RG1,
    want: 'allowed',
    permission: 'Microsoft.Authorization/*',
  },
  {
    name: "Owner's * grants no data actions",
    assignments: [assign('/', ID.owner)],
    action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action',
    scope: KV_SECRET,
    data: true,
    want: 'notAllowed',
    reason: 'role Owner grants no data actions',
  },
  {
    name: 'Key Vault Secrets User reads a secret but cannot set one',
    assignments: [assign(RG1, ID.secretsUser)],
    action: 'Microsoft.KeyVault/vaults/secrets/setSecret/action',
    scope: KV_SECRET,
    data: true,
    want: 'notAllowed',
  },
  {
    name: 'a data role grants its data action at a blob below its scope',
    assignments: [assign(SA, ID.blobReader)],
    action: 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
    scope: BLOB,
    data: true,
    want: 'allowed',
  },
  {
    name: 'a data action is not a control-plane action',
    assignments: [assign(SA, ID.blobReader)],
    action: 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
    scope: BLOB,
    want: 'notAllowed',
  },
  {
    name: "Managed Identity Operator's /*/ covers the assign action itself",
    assignments: [assign(RG1, ID.managedIdentityOperator)],
    action: 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action',
    scope: UAMI,
    want: 'allowed',
    permission: 'Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action',
  },
  {
    name: "another principal's assignment grants nothing",
    assignments: [assign(SUB, ID.owner, Q)],
    action: 'Microsoft.Compute/virtualMachines/read',
    scope: VM,
    want: 'notAllowed',
    reason: NO_ASSIGNMENT_REASON,
  },
  {
    name: 'an assignment with a condition fails closed',
    assignments: [assign(SA, ID.blobReader, P, "@Resource[x] StringEquals 'c1'")],
    action: 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
    scope: BLOB,
    data: true,
    want: 'notAllowed',
    reason: 'has a condition, which Keyless does not evaluate (fails closed)',
  },
  {
    name: 'an assignment of a role that no longer exists grants nothing',
    assignments: [assign(SUB, 'dddddddd-0000-0000-0000-000000000000')],
    action: 'Microsoft.Compute/virtualMachines/read',
    scope: VM,
    want: 'notAllowed',
    reason: 'role definition dddddddd-0000-0000-0000-000000000000 does not exist',
  },
  {
    name: 'a full role definition id works like its GUID',
    assignments: [
      assign(SUB, `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${ID.reader}`),
    ],
    action: 'Microsoft.Compute/virtualMachines/read',
    scope: VM,
    want: 'allowed',
  },
  {
    name: 'a deny assignment overrides Owner',
    assignments: [assign('/', ID.owner)],
    denies: [deny({})],
    action: 'Microsoft.Compute/virtualMachines/delete',
    scope: VM,
    want: 'denied',
    reason: "deny assignment 'no deletes' at scope '/subscriptions/s1/resourcegroups/rg1'",
  },
  {
    name: 'a deny assignment leaves other actions alone',
    assignments: [assign('/', ID.owner)],
    denies: [deny({})],
    action: 'Microsoft.Compute/virtualMachines/write',
    scope: VM,
    want: 'allowed',
  },
  {
    name: 'an excluded principal is not denied',
    assignments: [assign('/', ID.owner)],
    denies: [
      deny({
        principals: [{ id: EVERYONE, type: 'SystemDefined' }],
        excludePrincipals: [{ id: P, type: 'ServicePrincipal' }],
      }),
    ],
    action: 'Microsoft.Compute/virtualMachines/delete',
    scope: VM,
    want: 'allowed',
  },
  {
    name: 'Everyone in a deny applies to any principal',
    assignments: [assign('/', ID.owner, Q)],
    denies: [deny({ principals: [{ id: EVERYONE, type: 'SystemDefined' }] })],
    principal: Q,
    action: 'Microsoft.Compute/virtualMachines/delete',
    scope: VM,
    want: 'denied',
  },
  {
    name: 'a deny for another principal does not apply',
    assignments: [assign('/', ID.owner, Q)],
    denies: [deny({})],
    principal: Q,
    action: 'Microsoft.Compute/virtualMachines/delete',
    scope: VM,
    want: 'allowed',
  },
  {
    name: 'doNotApplyToChildScopes exempts scopes below the deny',
    assignments: [assign('/', ID.owner)],
    denies: [deny({ doNotApplyToChildScopes: true })],
    action: 'Microsoft.Compute/virtualMachines/delete',
    scope: VM,
    want: 'allowed',
  },
  {
    name: 'doNotApplyToChildScopes still denies at the scope itself',
    assignments: [assign('/', ID.owner)],
    denies: [deny({ doNotApplyToChildScopes: true })],
    action: 'Microsoft.Resources/subscriptions/resourceGroups/delete',
    scope: RG1,
    want: 'denied',
  },
  {
    name: "a deny's notActions exempt an action",
    assignments: [assign('/', ID.owner)],
    denies: [
      deny({
        permissions: [
          {
            actions: ['*'],
            notActions: ['*/read'],
            dataActions: [],
            notDataActions: [],
          },
        ],
      }),
    ],
    action: 'Microsoft.Compute/virtualMachines/read',
    scope: VM,
    want: 'allowed',
  },
  {
    name: 'a deny above the scope reaches it, a deny below does not',
    assignments: [assign('/', ID.owner)],
    denies: [deny({ id: 'd2', scope: VM })],
    action: 'Microsoft.Resources/subscriptions/resourceGroups/delete',
    scope: RG1,
    want: 'allowed',
  },
]

describe('evaluate', () => {
  for (const c of cases) {
    it(c.name, () => {
      const d = evaluate(
        { principalId: c.principal ?? P, action: c.action, scope: c.scope, isDataAction: c.data },
        c.assignments,
        c.denies ?? [],
        roles,
      )
      assert.equal(d.decision, c.want, d.reason)
      assert.equal(d.allowed, c.want === 'allowed')
      if (c.reason) assert.ok(d.reason.includes(c.reason), d.reason)
      if (c.permission) assert.equal(d.decision === 'allowed' && d.grant.permission, c.permission)
    })
  }

  it('explains an allow with the assignment, role, permission and scope', () => {
    const a = assign(RG1, ID.contributor)
    const d = evaluate(
      { principalId: P, action: 'Microsoft.Compute/virtualMachines/write', scope: VM },
      [assign(SUB, ID.reader), a],
      [],
      roles,
    )
    assert.deepEqual(d, {
      allowed: true,
      decision: 'allowed',
      grant: {
        assignmentId: a.id,
        roleDefinitionId: ID.contributor,
        roleName: 'Contributor',
        permission: '*',
        scope: RG1.toLowerCase(),
      },
      reason: `role assignment ${a.id} at scope '${RG1.toLowerCase()}': role Contributor grants '*'`,
    })
  })

  it('lists every applicable assignment, nearest scope first, when none grants', () => {
    const far = assign(SUB, ID.reader)
    const near = assign(RG1, ID.storageReader)
    const d = evaluate(
      { principalId: P, action: 'Microsoft.Compute/virtualMachines/write', scope: VM },
      [far, near, assign(RG10, ID.owner)],
      [],
      roles,
    )
    assert.equal(d.decision, 'notAllowed')
    assert.deepEqual(
      d.decision === 'notAllowed' && d.considered.map((c) => [c.assignmentId, c.roleName]),
      [
        [near.id, 'Storage Reader'],
        [far.id, 'Reader'],
      ],
    )
  })

  it('reports the grant a deny overrode', () => {
    const a = assign(SUB, ID.owner)
    const d = evaluate(
      { principalId: P, action: 'Microsoft.Compute/virtualMachines/delete', scope: VM },
      [a],
      [deny({})],
      roles,
    )
    assert.equal(d.decision, 'denied')
    assert.equal(d.decision === 'denied' && d.grant?.assignmentId, a.id)
    assert.deepEqual(d.decision === 'denied' && d.deny, {
      denyAssignmentId: 'deny-1',
      denyAssignmentName: 'no deletes',
      scope: RG1.toLowerCase(),
      permission: '*/delete',
    })
  })

  it('rejects an invalid scope with InvalidResourceId', () => {
    assert.throws(
      () => evaluate({ principalId: P, action: 'a/read', scope: '/nope/x' }, [], [], roles),
      { code: 'InvalidResourceId' },
    )
  })
})
