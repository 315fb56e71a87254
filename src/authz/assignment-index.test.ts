import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { BUILT_IN_ROLES, BUILT_IN_ROLE_IDS } from '../domain/rbac/built-in-roles.js'
import { createRoleCatalog } from '../domain/rbac/compiled-role.js'
import { evaluate } from '../domain/rbac/evaluate.js'
import { EVERYONE, type DenyAssignmentRule, type RoleDefinition } from '../domain/rbac/types.js'
import {
  ANCESTOR_CACHE_BYTES,
  AssignmentIndex,
  type IndexedAssignment,
} from './assignment-index.js'

const SUB = '/subscriptions/s1'
const RG1 = `${SUB}/resourceGroups/RG1`
const RG10 = `${SUB}/resourceGroups/rg10`
const VM = `${RG1}/providers/Microsoft.Compute/virtualMachines/vm1`
const P = '11111111-1111-1111-1111-111111111111'
const WRITE_VM = 'Microsoft.Compute/virtualMachines/write'

// A deterministic generator, so that a failure can be replayed.
function rng(seed: number) {
  let x = seed
  return (n: number) => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0
    return x % n
  }
}

const guid = (n: number) =>
  `${n.toString(16).padStart(8, '0')}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`

function freshIndex(extraRoles: RoleDefinition[] = []): AssignmentIndex {
  const index = new AssignmentIndex()
  for (const r of [...BUILT_IN_ROLES, ...extraRoles]) index.setRole(r)
  return index
}

describe('AssignmentIndex', () => {
  it('grants along scope inheritance and keeps names exact', () => {
    const index = freshIndex()
    index.add({
      name: guid(1),
      scope: RG1,
      principalId: P.toUpperCase(),
      roleDefinitionId: BUILT_IN_ROLE_IDS.contributor,
    })
    assert.equal(index.checkAccess(P, WRITE_VM, VM), true)
    assert.equal(
      index.checkAccess(P, WRITE_VM, `${RG10}/providers/Microsoft.Compute/virtualMachines/vm1`),
      false,
    )
    assert.equal(index.checkAccess(P, WRITE_VM, SUB), false)
    assert.equal(index.checkAccess(P, 'Microsoft.Authorization/roleAssignments/write', VM), false)
    const d = index.explain(P, WRITE_VM, VM)
    assert.equal(d.decision, 'allowed')
    assert.equal(d.decision === 'allowed' && d.grant.assignmentId, guid(1))
    assert.equal(d.decision === 'allowed' && d.grant.scope, RG1.toLowerCase())
  })

  it('replaces an assignment added twice and removes it by name', () => {
    const index = freshIndex()
    const a = {
      name: guid(2),
      scope: RG1,
      principalId: P,
      roleDefinitionId: BUILT_IN_ROLE_IDS.reader,
    }
    index.add(a)
    index.add({ ...a, roleDefinitionId: BUILT_IN_ROLE_IDS.owner })
    assert.equal(index.size, 1)
    assert.equal(index.checkAccess(P, WRITE_VM, VM), true)
    assert.equal(index.remove(guid(2).toUpperCase()), true)
    assert.equal(index.remove(guid(2)), false)
    assert.equal(index.size, 0)
    assert.equal(index.checkAccess(P, WRITE_VM, VM), false)
    index.add({ ...a, name: 'not-a-guid' })
    assert.deepEqual(
      index.assignmentsAt(P, VM).map((x) => x.id),
      ['not-a-guid'],
    )
    assert.equal(index.remove('NOT-A-GUID'), true)
  })

  it("drops a principal's assignments, and those at or below a scope", () => {
    const index = freshIndex()
    const Q = guid(99)
    const add = (n: number, scope: string, principalId = P) =>
      index.add({ name: guid(n), scope, principalId, roleDefinitionId: BUILT_IN_ROLE_IDS.reader })
    add(1, RG1)
    add(2, VM)
    add(3, RG10)
    add(4, SUB)
    add(5, VM, Q)
    add(
      6,
      `${RG1}/providers/Microsoft.Storage/storageAccounts/a/blobServices/default/containers/c`,
      Q,
    )
    assert.equal(index.removeAtOrBelow(RG1.toUpperCase()), 4)
    assert.deepEqual(
      index.assignmentsAt(P, `${RG10}/x/y`.replace('/x/y', '')).map((a) => a.id),
      [guid(3), guid(4)],
    )
    assert.equal(index.removePrincipal(P), 2)
    assert.equal(index.size, 0)
    add(7, VM)
    assert.equal(index.removeAtOrBelow('/'), 1)
  })

  // "At or below" is by path segment: a sibling whose name extends the removed one (vm2 beside
  // vm, rg10 beside rg1) is another resource, and its grants and denies stay.
  it('keeps assignments and denies at a sibling whose name extends the removed scope', () => {
    const index = freshIndex()
    const vm = (rg: string, name: string) =>
      `${rg}/providers/Microsoft.Compute/virtualMachines/${name}`
    const add = (n: number, scope: string) =>
      index.add({ name: guid(n), scope, principalId: P, roleDefinitionId: BUILT_IN_ROLE_IDS.owner })
    add(1, vm(RG1, 'vm'))
    add(2, vm(RG1, 'vm2'))
    add(3, RG1)
    add(4, RG10)
    const deny = (id: string, scope: string): DenyAssignmentRule => ({
      id,
      name: id,
      scope,
      permissions: [{ actions: ['*/delete'], notActions: [], dataActions: [], notDataActions: [] }],
      principals: [{ id: EVERYONE, type: 'SystemDefined' }],
      excludePrincipals: [],
      doNotApplyToChildScopes: false,
    })
    index.setDeny(deny('D-vm2', vm(RG1, 'vm2')))
    index.setDeny(deny('D-rg10', RG10))
    const del = 'Microsoft.Compute/virtualMachines/delete'

    assert.equal(index.removeAtOrBelow(vm(RG1, 'vm')), 1)
    assert.deepEqual(
      index.assignmentsAt(P, vm(RG1, 'vm2')).map((a) => a.id),
      [guid(2), guid(3)],
    )
    assert.equal(index.checkAccess(P, del, vm(RG1, 'vm2')), false, 'the deny on vm2 stays')

    assert.equal(index.removeAtOrBelow(RG1), 2)
    assert.deepEqual(
      index.assignmentsAt(P, vm(RG10, 'x')).map((a) => a.id),
      [guid(4)],
    )
    assert.equal(index.checkAccess(P, del, vm(RG10, 'x')), false, 'the deny on rg10 stays')
    assert.equal(index.explain(P, del, vm(RG10, 'x')).decision, 'denied')
    assert.equal(
      index.checkAccess(P, 'Microsoft.Compute/virtualMachines/write', vm(RG10, 'x')),
      true,
    )

    // Above groups every scope is a candidate: subscription s10 is not below s1.
    add(5, '/subscriptions/s10')
    index.setDeny(deny('D-s10', '/subscriptions/s10'))
    assert.equal(index.removeAtOrBelow(SUB), 1)
    assert.deepEqual(
      index.assignmentsAt(P, '/subscriptions/s10/resourceGroups/g').map((a) => a.id),
      [guid(5)],
    )
    assert.equal(index.checkAccess(P, del, '/subscriptions/s10/resourceGroups/g'), false)
  })

  it('applies deny assignments with exclusions and child-scope exemption', () => {
    const index = freshIndex()
    index.add({
      name: guid(1),
      scope: '/',
      principalId: P,
      roleDefinitionId: BUILT_IN_ROLE_IDS.owner,
    })
    const deny: DenyAssignmentRule = {
      id: 'D1',
      name: 'protect',
      scope: RG1,
      permissions: [{ actions: ['*/delete'], notActions: [], dataActions: [], notDataActions: [] }],
      principals: [{ id: EVERYONE, type: 'SystemDefined' }],
      excludePrincipals: [],
      doNotApplyToChildScopes: false,
    }
    index.setDeny(deny)
    assert.equal(index.checkAccess(P, 'Microsoft.Compute/virtualMachines/delete', VM), false)
    assert.equal(
      index.explain(P, 'Microsoft.Compute/virtualMachines/delete', VM).decision,
      'denied',
    )
    index.setDeny({ ...deny, doNotApplyToChildScopes: true })
    assert.equal(index.checkAccess(P, 'Microsoft.Compute/virtualMachines/delete', VM), true)
    index.setDeny({ ...deny, excludePrincipals: [{ id: P, type: 'ServicePrincipal' }] })
    assert.equal(index.checkAccess(P, 'Microsoft.Compute/virtualMachines/delete', VM), true)
    index.setDeny(deny)
    index.removeAtOrBelow(RG1)
    assert.equal(index.checkAccess(P, 'Microsoft.Compute/virtualMachines/delete', VM), true)
  })

  it('keeps data actions apart and fails closed on conditions', () => {
    const index = freshIndex()
    const secret = `${RG1}/providers/Microsoft.KeyVault/vaults/kv/secrets/s`
    index.add({
      name: guid(1),
      scope: '/',
      principalId: P,
      roleDefinitionId: BUILT_IN_ROLE_IDS.owner,
    })
    const get = 'Microsoft.KeyVault/vaults/secrets/getSecret/action'
    assert.equal(index.checkAccess(P, get, secret, { dataAction: true }), false)
    index.add({
      name: guid(2),
      scope: RG1,
      principalId: P,
      roleDefinitionId: '4633458b-17de-408a-b874-0445c86b69e6',
      condition: 'x',
    })
    assert.equal(index.checkAccess(P, get, secret, { dataAction: true }), false)
    index.add({
      name: guid(2),
      scope: RG1,
      principalId: P,
      roleDefinitionId: '4633458b-17de-408a-b874-0445c86b69e6',
    })
    assert.equal(index.checkAccess(P, get, secret, { dataAction: true }), true)
    index.remove(guid(1))
    assert.equal(
      index.checkAccess(P, get, secret),
      false,
      'a data action is not granted as a control-plane one',
    )
  })

  it('follows role updates and deletions', () => {
    const custom: RoleDefinition = {
      id: guid(500),
      roleName: 'Restarter',
      type: 'CustomRole',
      description: '',
      permissions: [
        {
          actions: ['Microsoft.Compute/*/restart/action'],
          notActions: [],
          dataActions: [],
          notDataActions: [],
        },
      ],
      assignableScopes: [SUB],
    }
    const index = freshIndex([custom])
    index.add({
      name: guid(1),
      scope: SUB,
      principalId: P,
      roleDefinitionId: `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${custom.id}`,
    })
    const restart = 'Microsoft.Compute/virtualMachines/restart/action'
    assert.equal(index.checkAccess(P, restart, VM), true)
    index.setRole({
      ...custom,
      permissions: [
        { ...custom.permissions[0]!, notActions: ['Microsoft.Compute/virtualMachines/*'] },
      ],
    })
    assert.equal(index.checkAccess(P, restart, VM), false)
    index.deleteRole(custom.id)
    assert.equal(index.checkAccess(P, restart, VM), false)
    assert.match(index.explain(P, restart, VM).reason, /does not exist/)
  })

  it('returns the permission blocks of the roles that apply', () => {
    const index = freshIndex()
    index.add({
      name: guid(1),
      scope: SUB,
      principalId: P,
      roleDefinitionId: BUILT_IN_ROLE_IDS.reader,
    })
    index.add({
      name: guid(2),
      scope: RG1,
      principalId: P,
      roleDefinitionId: BUILT_IN_ROLE_IDS.reader,
    })
    index.add({
      name: guid(3),
      scope: VM,
      principalId: P,
      roleDefinitionId: BUILT_IN_ROLE_IDS.contributor,
    })
    const blocks = index.permissionsAt(P, RG1)
    assert.deepEqual(
      blocks.map((b) => b.actions),
      [['*/read']],
    )
    assert.equal(index.permissionsAt(P, VM).length, 2)
    assert.deepEqual(index.permissionsAt(guid(7), VM), [])
  })

  it('agrees with evaluate() on random assignments, denies and checks', () => {
    const rand = rng(42)
    const custom: RoleDefinition = {
      id: guid(900),
      roleName: 'Wild',
      type: 'CustomRole',
      description: '',
      permissions: [
        {
          actions: ['Microsoft.*/*/read', 'Microsoft.Compute/*'],
          notActions: ['Microsoft.Compute/*/delete'],
          dataActions: ['Microsoft.Storage/*'],
          notDataActions: [],
        },
        {
          actions: ['*/delete'],
          notActions: ['Microsoft.Web/*'],
          dataActions: [],
          notDataActions: [],
        },
      ],
      assignableScopes: [SUB],
    }
    const roleIds = [...BUILT_IN_ROLES.map((r) => r.id), custom.id, guid(901)]
    const scopes = ['/']
    for (let s = 0; s < 3; s++) {
      const sub = `/subscriptions/sub${s}`
      scopes.push(sub)
      for (let g = 0; g < 4; g++) {
        const rg = `${sub}/resourceGroups/rg${g}`
        scopes.push(rg, `${sub}/resourceGroups/rg${g}0`)
        for (let r = 0; r < 3; r++) {
          scopes.push(`${rg}/providers/Microsoft.Compute/virtualMachines/vm${r}`)
          scopes.push(
            `${rg}/providers/Microsoft.Storage/storageAccounts/sa${r}/blobServices/default/containers/c`,
          )
        }
      }
    }
    const principals = Array.from({ length: 40 }, (_, i) => guid(1000 + i))
    const actions: Array<[string, boolean]> = [
      ['Microsoft.Compute/virtualMachines/write', false],
      ['Microsoft.Compute/virtualMachines/delete', false],
      ['Microsoft.Web/sites/delete', false],
      ['Microsoft.Authorization/roleAssignments/write', false],
      ['Microsoft.Storage/storageAccounts/read', false],
      ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read', true],
      ['Microsoft.KeyVault/vaults/secrets/getSecret/action', true],
      ['Microsoft.KeyVault/vaults/keys/sign/action', true],
      ['Microsoft.ManagedIdentity/userAssignedIdentities/assign/action', false],
    ]
    const index = freshIndex([custom])
    const all = new Map<string, IndexedAssignment>()
    for (let i = 0; i < 2000; i++) {
      const a: IndexedAssignment = {
        name: guid(i + 1),
        scope: scopes[rand(scopes.length)]!,
        principalId: principals[rand(principals.length)]!,
        roleDefinitionId: roleIds[rand(roleIds.length)]!,
        condition: rand(20) === 0 ? 'cond' : null,
      }
      index.add(a)
      all.set(a.name, a)
    }
    let denies: DenyAssignmentRule[] = []
    for (let i = 0; i < 6; i++) {
      const d: DenyAssignmentRule = {
        id: `deny-${i}`,
        name: `deny ${i}`,
        scope: scopes[1 + rand(scopes.length - 1)]!,
        permissions: [
          {
            actions: [rand(2) ? '*/delete' : 'Microsoft.Compute/*'],
            notActions: [],
            dataActions: ['*'],
            notDataActions: [],
          },
        ],
        principals: rand(2)
          ? [{ id: EVERYONE, type: 'SystemDefined' }]
          : [{ id: principals[rand(10)]!, type: 'ServicePrincipal' }],
        excludePrincipals: [{ id: principals[rand(10)]!, type: 'ServicePrincipal' }],
        doNotApplyToChildScopes: rand(2) === 0,
      }
      index.setDeny(d)
      denies.push(d)
    }
    const catalog = createRoleCatalog([...BUILT_IN_ROLES, custom])
    const compare = (rounds: number) => {
      let allowed = 0
      const grants = [...all.values()].map((a) => ({ ...a, id: a.name }))
      for (let i = 0; i < rounds; i++) {
        const principalId = principals[rand(principals.length)]!
        const [action, isData] = actions[rand(actions.length)]!
        const scope = scopes[rand(scopes.length)]!
        const want = evaluate(
          { principalId, action, scope, isDataAction: isData },
          grants,
          denies,
          catalog,
        )
        const got = index.checkAccess(principalId, action, scope, { dataAction: isData })
        assert.equal(got, want.allowed, `${principalId} ${action} ${scope}: ${want.reason}`)
        assert.equal(
          index.explain(principalId, action, scope, { dataAction: isData }).reason,
          want.reason,
        )
        if (got) allowed++
      }
      return allowed
    }
    // Not vacuous: some 4 % or more of the random checks are allowed (the share falls as
    // built-in roles that grant none of these actions join the pool).
    assert.ok(compare(1000) > 40, 'the random data should allow a fair share of checks')
    for (let i = 0; i < 1000; i++) {
      const name = guid(1 + rand(2000))
      const a = all.get(name)
      if (a && index.remove(name)) all.delete(name)
    }
    const dropped = principals[3]!
    index.removePrincipal(dropped)
    for (const [k, a] of all) if (a.principalId === dropped) all.delete(k)
    index.removeAtOrBelow('/subscriptions/sub1/resourceGroups/rg2')
    // The reference model drops what is at or below the group too, deny assignments included.
    const gone = (scope: string) =>
      scope.toLowerCase() === '/subscriptions/sub1/resourcegroups/rg2' ||
      scope.toLowerCase().startsWith('/subscriptions/sub1/resourcegroups/rg2/')
    for (const [k, a] of all) if (gone(a.scope)) all.delete(k)
    denies = denies.filter((d) => !gone(d.scope))
    assert.equal(index.size, all.size)
    compare(1000)
  })
})

describe('AssignmentIndex scope cache', () => {
  it('stays within its byte budget when a caller checks thousands of 4 KB scopes', () => {
    const index = freshIndex()
    index.add({
      name: guid(1),
      scope: RG1,
      principalId: P,
      roleDefinitionId: BUILT_IN_ROLE_IDS.reader,
    })
    const read = 'Microsoft.Compute/virtualMachines/read'
    const long = (i: number) =>
      `${RG1}/providers/Microsoft.Compute/virtualMachines/${String(i).padStart(4096, 'v')}`
    let checked = 0
    for (let i = 0; i < 5000; i++) {
      assert.equal(index.checkAccess(P, read, long(i)), true)
      checked += long(i).length
      assert.ok(index.scopeCacheBytes <= ANCESTOR_CACHE_BYTES)
    }
    // The caller sent ~20 M characters of scopes (and their ancestors): far more than the bound.
    assert.ok(checked * 2 > (2 * ANCESTOR_CACHE_BYTES) / 3)
    assert.ok(index.scopeCacheBytes > ANCESTOR_CACHE_BYTES / 2, 'the cache is still used')
    // Evicted scopes are computed again, with the same answer.
    assert.equal(index.checkAccess(P, read, long(0)), true)
    assert.equal(
      index.checkAccess(P, read, `${RG10}/providers/Microsoft.Compute/virtualMachines/x`),
      false,
    )
  })
})
