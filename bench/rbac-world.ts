// The synthetic installation of the RBAC benchmark, generated from a seed: a scope tree, role
// assignments spread mostly on resources and groups, custom roles with wildcards, deny
// assignments, and random checks. Inputs are kept as small integers so that the memory measured
// around the index build is the index's own.
import { BUILT_IN_ROLES } from '../src/domain/rbac/built-in-roles.js'
import { EVERYONE, type DenyAssignmentRule, type RoleDefinition } from '../src/domain/rbac/types.js'
import type { IndexedAssignment } from '../src/authz/assignment-index.js'

export const CHECK_ACTIONS: Array<[action: string, isData: boolean]> = [
  ['Microsoft.Compute/virtualMachines/read', false],
  ['Microsoft.Compute/virtualMachines/write', false],
  ['Microsoft.Compute/virtualMachines/delete', false],
  ['Microsoft.Compute/virtualMachines/restart/action', false],
  ['Microsoft.Web/sites/write', false],
  ['Microsoft.Authorization/roleAssignments/write', false],
  ['Microsoft.ManagedIdentity/userAssignedIdentities/assign/action', false],
  ['Microsoft.Storage/storageAccounts/listKeys/action', false],
  ['Microsoft.KeyVault/vaults/secrets/getSecret/action', true],
  ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read', true],
]

export interface Check {
  principalId: string
  action: string
  scope: string
  isDataAction: boolean
}

export interface World {
  scopeCount: number
  customRoles: RoleDefinition[]
  denies: DenyAssignmentRule[]
  assignment(i: number): IndexedAssignment
  checks(n: number, seed: number): Check[]
}

function lcg(seed: number) {
  let x = seed >>> 0
  return (n: number) => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0
    return Math.floor((x / 2 ** 32) * n)
  }
}

const hex = (n: number, width: number) => (n >>> 0).toString(16).padStart(width, '0')
// Strings that arrive in a request or from the database are flat; strings built with `+` or a
// template are ropes that V8 flattens on first hashing, a cost no real input pays.
const flat = (s: string) => Buffer.from(s, 'latin1').toString('latin1')
const guid = (kind: number, n: number) =>
  flat(`${hex(kind, 8)}-${hex(n >>> 16, 4)}-4${hex(n & 0xfff, 3)}-8${hex(kind, 3)}-${hex(n, 12)}`)

function customRoles(): RoleDefinition[] {
  const role = (
    n: number,
    roleName: string,
    actions: string[],
    notActions: string[] = [],
    dataActions: string[] = [],
  ) => ({
    id: guid(0xc0c0, n),
    roleName,
    type: 'CustomRole' as const,
    description: roleName,
    permissions: [{ actions, notActions, dataActions, notDataActions: [] }],
    assignableScopes: ['/subscriptions/' + guid(0x5b, 0)],
  })
  return [
    role(
      1,
      'VM Operator',
      ['Microsoft.Compute/*/read', 'Microsoft.Compute/virtualMachines/*/action'],
      ['Microsoft.Compute/virtualMachines/delete'],
    ),
    role(2, 'Everything but deletes', ['*'], ['*/delete', 'Microsoft.Authorization/*']),
    role(
      3,
      'Data reader',
      ['*/read'],
      [],
      ['Microsoft.Storage/*/read', 'Microsoft.KeyVault/vaults/secrets/*/action'],
    ),
  ]
}

export function buildWorld(o: { assignments: number; principals: number; seed: number }): World {
  const subs = Array.from({ length: 10 }, (_, s) => `/subscriptions/${guid(0x5b, s)}`)
  const groups = subs.flatMap((sub, s) =>
    Array.from({ length: 100 }, (_, g) => `${sub}/resourceGroups/rg-${s}-${g}`),
  )
  const resourceTypes = [
    'Microsoft.Compute/virtualMachines',
    'Microsoft.Web/sites',
    'Microsoft.KeyVault/vaults',
    'Microsoft.Storage/storageAccounts',
  ]
  const resources = groups.flatMap((g, gi) =>
    Array.from({ length: 10 }, (_, r) => `${g}/providers/${resourceTypes[r % 4]}/res-${gi}-${r}`),
  )
  const custom = customRoles()
  const roleIds = [...BUILT_IN_ROLES.map((r) => r.id), ...custom.map((r) => r.id)]
  const rand = lcg(o.seed)
  // Columns of small integers: the assignment objects are made on demand.
  const scopeOf = new Int32Array(o.assignments)
  const roleOf = new Uint8Array(o.assignments)
  const principalOf = new Int32Array(o.assignments)
  const allScopes = ['/', ...subs, ...groups, ...resources].map(flat)
  const pick = () => {
    const r = rand(1000)
    if (r < 1) return 0 // root
    if (r < 60) return 1 + rand(subs.length)
    if (r < 360) return 1 + subs.length + rand(groups.length)
    return 1 + subs.length + groups.length + rand(resources.length)
  }
  for (let i = 0; i < o.assignments; i++) {
    scopeOf[i] = pick()
    // Owner is rare; Reader and Contributor are common; custom roles get a fair share.
    const r = rand(100)
    roleOf[i] =
      r < 2
        ? 0
        : r < 30
          ? 2
          : r < 50
            ? 1
            : r < 80
              ? 3 + rand(roleIds.length - 3)
              : roleIds.length - 1 - rand(3)
    principalOf[i] = i < o.principals ? i : rand(o.principals)
  }
  const denies: DenyAssignmentRule[] = Array.from({ length: 20 }, (_, d) => ({
    id: guid(0xde, d),
    name: `deny ${d}`,
    scope: groups[rand(groups.length)]!,
    permissions: [
      {
        actions: ['*/delete', 'Microsoft.Authorization/*/write'],
        notActions: [],
        dataActions: ['*'],
        notDataActions: [],
      },
    ],
    principals:
      d % 2
        ? [{ id: EVERYONE, type: 'SystemDefined' }]
        : [{ id: guid(0xa, rand(o.principals)), type: 'ServicePrincipal' }],
    excludePrincipals: [{ id: guid(0xa, rand(o.principals)), type: 'ServicePrincipal' }],
    doNotApplyToChildScopes: d % 5 === 0,
  }))
  const dataSuffix = (scope: string) =>
    scope.includes('/vaults/')
      ? '/secrets/db-password'
      : scope.includes('/storageAccounts/')
        ? '/blobServices/default/containers/c1/blobs/a/b.txt'
        : ''
  return {
    scopeCount: allScopes.length,
    customRoles: custom,
    denies,
    assignment: (i) => ({
      name: guid(0xa5, i),
      scope: allScopes[scopeOf[i]!]!,
      principalId: guid(0xa, principalOf[i]!),
      roleDefinitionId: roleIds[roleOf[i]!]!,
    }),
    checks(n, seed) {
      const r = lcg(seed)
      // A resource at or below the scope of assignment i, so that half of the checks ask about
      // something the principal has a role on (and the other half mostly about what it has not).
      const resourceUnder = (i: number): string => {
        const at = scopeOf[i]!
        if (at === 0) return resources[r(resources.length)]!
        if (at <= subs.length) return resources[(at - 1) * 1000 + r(1000)]!
        const g = at - 1 - subs.length
        if (g < groups.length) return resources[g * 10 + r(10)]!
        return allScopes[at]!
      }
      return Array.from({ length: n }, () => {
        const [action, isDataAction] = CHECK_ACTIONS[r(CHECK_ACTIONS.length)]!
        const targeted = r(2) === 0
        const i = r(o.assignments)
        const resource = targeted ? resourceUnder(i) : resources[r(resources.length)]!
        const principal = targeted
          ? principalOf[i]!
          : r(100) < 5
            ? o.principals + r(1000)
            : r(o.principals)
        return {
          principalId: guid(0xa, principal),
          action,
          scope: flat(resource + (isDataAction ? dataSuffix(resource) : '')),
          isDataAction,
        }
      })
    },
  }
}
