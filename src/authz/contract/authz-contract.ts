// The RBAC engine over a real store: the same suite runs on SQLite and PostgreSQL
// (authz-sqlite.test.ts, authz-postgres.test.ts).
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { BUILT_IN_ROLE_IDS, BUILT_IN_ROLES } from '../../domain/rbac/built-in-roles.js'
import { EVERYONE } from '../../domain/rbac/types.js'
import {
  principalRow,
  resourceRow,
  seedHierarchy,
  VM,
  type Hierarchy,
} from '../../store/contract/fixtures.js'
import type { Store } from '../../store/store.js'
import { createAuthz, type Authz } from '../authz.js'

const { owner: OWNER, reader: READER, contributor: CONTRIBUTOR } = BUILT_IN_ROLE_IDS
const WRITE_VM = 'Microsoft.Compute/virtualMachines/write'

export function runAuthzContract(name: string, open: () => Promise<Store>): void {
  describe(`authz (${name})`, () => {
    let store: Store
    let authz: Authz
    let t = 1_000

    before(async () => {
      store = await open()
      authz = await createAuthz({ store, clock: { now: () => ++t } })
    })
    after(async () => store?.close())

    /** A subscription, a group with a VM, and two principals. */
    async function world() {
      const h: Hierarchy = await seedHierarchy(store)
      const vm = resourceRow(h, VM, 'vm1')
      await store.resources.create(vm)
      const p = principalRow(null, null)
      const q = principalRow(null, null)
      await store.principals.create(p)
      await store.principals.create(q)
      return {
        h,
        sub: `/subscriptions/${h.subscriptionId}`,
        rg: h.group.id,
        vm: vm.id,
        p: p.object_id,
        q: q.object_id,
        tenantId: p.tenant_id,
      }
    }
    const assign = (
      scope: string,
      principalId: string,
      roleDefinitionId: string,
      name: string = randomUUID(),
    ) => authz.createRoleAssignment(scope, name, { roleDefinitionId, principalId })
    const customRole = (
      assignableScopes: string[],
      actions = ['Microsoft.Compute/*/restart/action'],
    ) => ({
      roleName: `Restarter ${randomUUID()}`,
      description: 'restarts things',
      permissions: [{ actions, notActions: [], dataActions: [], notDataActions: [] }],
      assignableScopes,
    })

    it('serves the built-in roles by GUID, name and type', async () => {
      const w = await world()
      assert.equal((await authz.getRoleDefinition(READER))?.roleName, 'Reader')
      assert.equal(
        (
          await authz.getRoleDefinition(
            `/providers/Microsoft.Authorization/roleDefinitions/${OWNER}`,
          )
        )?.roleName,
        'Owner',
      )
      assert.equal(await authz.getRoleDefinition(randomUUID()), undefined)
      const readers = await authz.listRoleDefinitions(w.rg, "roleName eq 'reader'")
      assert.deepEqual(
        readers.map((r) => r.id),
        [READER],
      )
      assert.equal(
        (await authz.listRoleDefinitions(w.sub, "type eq 'BuiltInRole'")).length,
        BUILT_IN_ROLES.length,
      )
    })

    it('grants along the scope tree as soon as an assignment is created, and explains it', async () => {
      const w = await world()
      assert.equal(authz.checkAccess(w.p, WRITE_VM, w.vm), false)
      assert.equal(
        authz.explain(w.p, WRITE_VM, w.vm).reason,
        'no role assignment for the principal at or above the scope',
      )
      const { assignment, created } = await assign(w.rg, w.p, CONTRIBUTOR)
      assert.equal(created, true)
      assert.equal(assignment.scope, w.rg)
      assert.equal(assignment.principalType, 'ServicePrincipal')
      assert.equal(authz.checkAccess(w.p, WRITE_VM, w.vm), true)
      assert.equal(authz.checkAccess(w.p, WRITE_VM, w.sub), false)
      assert.equal(
        authz.checkAccess(w.p, 'Microsoft.Authorization/roleAssignments/write', w.vm),
        false,
      )
      const d = authz.explain(w.p, WRITE_VM, w.vm)
      assert.equal(d.decision === 'allowed' && d.grant.assignmentId, assignment.name)
      assert.deepEqual(authz.permissionsAt(w.p, w.vm)[0]?.actions, ['*'])
      assert.equal(
        await authz.deleteRoleAssignment(w.rg, assignment.name).then((a) => a?.name),
        assignment.name,
      )
      assert.equal(await authz.deleteRoleAssignment(w.rg, assignment.name), undefined)
      assert.equal(authz.checkAccess(w.p, WRITE_VM, w.vm), false)
    })

    it("answers Azure's errors for role assignments", async () => {
      const w = await world()
      const name = randomUUID()
      await assign(w.rg, w.p, READER, name)
      const again = await authz.createRoleAssignment(w.rg, name.toUpperCase(), {
        roleDefinitionId: READER,
        principalId: w.p,
        description: 'why',
      })
      assert.deepEqual([again.created, again.assignment.description], [false, 'why'])
      const cases: Array<[() => Promise<unknown>, object]> = [
        [
          () => assign(w.rg.toUpperCase(), w.p, READER),
          {
            status: 409,
            code: 'RoleAssignmentExists',
            message: 'The role assignment already exists.',
          },
        ],
        [
          () => assign(w.sub, w.p, READER, name),
          {
            status: 409,
            code: 'RoleAssignmentUpdateNotPermitted',
            message:
              'Tenant ID, application ID, principal ID, and scope are not allowed to be updated.',
          },
        ],
        [
          () => assign(w.rg, w.q, READER, name),
          { status: 409, code: 'RoleAssignmentUpdateNotPermitted' },
        ],
        [
          () => assign(w.rg, w.p, READER, 'my-assignment'),
          {
            status: 400,
            code: 'InvalidRoleAssignmentId',
            message:
              "The role assignment ID 'my-assignment' is not valid. The role assignment ID must be a GUID.",
          },
        ],
        [() => assign(w.rg, w.p, 'Reader'), { status: 400, code: 'InvalidRoleDefinitionId' }],
        [
          () => assign(w.rg, w.p, '11111111-2222-3333-4444-555555555555'),
          {
            status: 400,
            code: 'RoleDefinitionDoesNotExist',
            message:
              "The specified role definition with ID '11111111-2222-3333-4444-555555555555' does not exist.",
          },
        ],
        [() => assign(w.rg, 'not-a-guid', READER), { status: 400, code: 'InvalidPrincipalId' }],
        [
          () =>
            authz.createRoleAssignment(w.rg, randomUUID(), {
              roleDefinitionId: READER,
              principalId: w.p,
              principalType: 'User',
            }),
          {
            status: 400,
            code: 'UnmatchedPrincipalType',
            message: `The PrincipalId '${w.p}' has type 'ServicePrincipal' , which is different from specified PrinciaplType 'User'.`,
          },
        ],
        [
          () => assign(`${w.sub}/resourceGroups/nope`, w.p, READER),
          {
            status: 404,
            code: 'ResourceGroupNotFound',
            message: "Resource group 'nope' could not be found.",
          },
        ],
        [
          () => assign(`${w.rg}/providers/${VM}/nope`, w.p, READER),
          { status: 404, code: 'ResourceNotFound' },
        ],
        [
          () => assign(`/subscriptions/${randomUUID()}`, w.p, READER),
          { status: 404, code: 'SubscriptionNotFound' },
        ],
        [() => assign('/nope', w.p, READER), { status: 400, code: 'InvalidResourceId' }],
      ]
      for (const [p, want] of cases) await assert.rejects(p(), want)
      const missing = randomUUID()
      await assert.rejects(assign(w.rg, missing, READER), {
        status: 400,
        code: 'PrincipalNotFound',
        message: new RegExp(
          `^Principal ${missing} does not exist in the directory [0-9a-f-]+\\. Check that you have the correct principal ID\\.`,
        ),
      })
      // Data scopes below an existing resource need no row of their own.
      await assign(`${w.vm}/extensions/ext1`, w.q, READER)
    })

    it('lists assignments at, above and below a scope, with the filters of ARM', async () => {
      const w = await world()
      const atSub = (await assign(w.sub, w.p, READER)).assignment.name
      const atRg = (await assign(w.rg, w.q, READER)).assignment.name
      const atVm = (await assign(w.vm, w.p, OWNER)).assignment.name
      const list = async (scope: string, filter?: string) =>
        (await authz.listRoleAssignments(scope, filter, { limit: 1000 })).items
          .map((a) => a.name)
          .sort()
      assert.deepEqual(await list(w.rg), [atSub, atRg, atVm].sort())
      assert.deepEqual(await list(w.rg, 'atScope()'), [atSub, atRg].sort())
      assert.deepEqual(
        await list(w.rg, `principalId eq '${w.p.toUpperCase()}'`),
        [atSub, atVm].sort(),
      )
      assert.deepEqual(await list(w.vm, `atScope() and assignedTo('${w.q}')`), [atRg])
      assert.deepEqual(await list(w.sub, `atScope()+and+principalId+eq+'${w.p}'`), [atSub])
      await assert.rejects(authz.listRoleAssignments(w.rg, "roleName eq 'x'"), {
        status: 400,
        code: 'InvalidFilter',
      })
      const first = await authz.listRoleAssignments(w.rg, undefined, { limit: 2 })
      const second = await authz.listRoleAssignments(w.rg, undefined, {
        limit: 2,
        after: first.next,
      })
      assert.deepEqual(
        [...first.items, ...second.items].map((a) => a.name).sort(),
        [atSub, atRg, atVm].sort(),
      )
      assert.equal(second.next, undefined)
      assert.equal((await authz.getRoleAssignment(w.vm, atVm))?.roleDefinitionId, OWNER)
      assert.equal(await authz.getRoleAssignment(w.rg, atVm), undefined)
    })

    it('creates, updates and deletes custom roles with their rules', async () => {
      const w = await world()
      const id = randomUUID()
      const body = customRole([w.sub])
      const { definition, created } = await authz.putRoleDefinition(w.sub, id, body)
      assert.deepEqual(
        [created, definition.type, definition.roleName],
        [true, 'CustomRole', body.roleName],
      )
      assert.ok(
        (await authz.listRoleDefinitions(w.rg, "type eq 'CustomRole'")).some((d) => d.id === id),
      )
      assert.ok(
        !(await authz.listRoleDefinitions('/', "type eq 'CustomRole'")).some((d) => d.id === id),
      )
      assert.ok(
        (await authz.listRoleDefinitions('/', 'atScopeAndBelow()')).some((d) => d.id === id),
      )
      const restart = 'Microsoft.Compute/virtualMachines/restart/action'
      const a = (await assign(w.rg, w.p, id)).assignment
      assert.equal(authz.checkAccess(w.p, restart, w.vm), true)
      // An update changes decisions at once.
      await authz.putRoleDefinition(w.sub, id, {
        ...customRole([w.sub], ['Microsoft.Compute/*/read']),
        roleName: body.roleName,
      })
      assert.equal(authz.checkAccess(w.p, restart, w.vm), false)
      assert.equal(authz.checkAccess(w.p, 'Microsoft.Compute/virtualMachines/read', w.vm), true)
      const cases: Array<[() => Promise<unknown>, object]> = [
        [
          () =>
            authz.putRoleDefinition(w.sub, randomUUID(), {
              ...customRole([w.sub]),
              roleName: body.roleName.toUpperCase(),
            }),
          { status: 409, code: 'RoleDefinitionWithSameNameExists' },
        ],
        [
          () =>
            authz.putRoleDefinition(w.sub, randomUUID(), {
              ...customRole([w.sub]),
              roleName: 'reader',
            }),
          { status: 409, code: 'RoleDefinitionWithSameNameExists' },
        ],
        [
          () => authz.putRoleDefinition(w.sub, READER, customRole([w.sub])),
          { status: 409, code: 'RoleDefinitionExists' },
        ],
        [
          () => authz.putRoleDefinition(w.sub, randomUUID(), customRole(['/'])),
          { status: 400, code: 'InvalidAssignableScopes' },
        ],
        [
          () =>
            authz.putRoleDefinition(w.sub, id, customRole([`${w.sub}/resourceGroups/elsewhere`])),
          { status: 409, code: 'RoleDefinitionHasAssignments' },
        ],
        [
          () => authz.createRoleDefinition(w.sub, id, customRole([w.sub])),
          { status: 409, code: 'RoleDefinitionExists' },
        ],
        [
          () => authz.updateRoleDefinition(w.sub, randomUUID(), customRole([w.sub])),
          { status: 404, code: 'RoleDefinitionDoesNotExist' },
        ],
        [
          () => authz.deleteRoleDefinition(OWNER),
          { status: 403, code: 'BuiltInRoleNotModifiable' },
        ],
        [
          () => authz.deleteRoleDefinition(id),
          {
            status: 409,
            code: 'RoleDefinitionHasAssignments',
            message:
              'There are existing role assignments referencing role (code: RoleDefinitionHasAssignments).',
          },
        ],
        [
          () => assign(`/subscriptions/${randomUUID()}`, w.p, id),
          { status: 400, code: 'ScopeDoesNotMatchRoleDefinition' },
        ],
      ]
      for (const [p, want] of cases) await assert.rejects(p(), want)
      await authz.deleteRoleAssignment(w.rg, a.name)
      assert.equal((await authz.deleteRoleDefinition(id))?.id, id)
      assert.equal(await authz.deleteRoleDefinition(id), undefined)
      assert.equal(await authz.getRoleDefinition(id), undefined)
    })

    it('denies with deny assignments, except for excluded principals', async () => {
      const w = await world()
      await assign(w.sub, w.p, OWNER)
      await assign(w.sub, w.q, OWNER)
      const deny = await authz.createDenyAssignment(w.rg, {
        name: 'keep the VMs',
        permissions: [{ actions: ['Microsoft.Compute/virtualMachines/delete'] }],
        principals: [{ id: EVERYONE, type: 'SystemDefined' }],
        excludePrincipals: [{ id: w.q, type: 'ServicePrincipal' }],
      })
      const del = 'Microsoft.Compute/virtualMachines/delete'
      assert.equal(authz.checkAccess(w.p, del, w.vm), false)
      assert.equal(authz.explain(w.p, del, w.vm).decision, 'denied')
      assert.equal(authz.checkAccess(w.q, del, w.vm), true)
      assert.equal(authz.checkAccess(w.p, WRITE_VM, w.vm), true)
      assert.deepEqual(
        (await authz.listDenyAssignments(w.vm)).items.map((d) => d.id),
        [deny.id],
      )
      assert.deepEqual((await authz.listDenyAssignments(w.sub, 'atScope()')).items, [])
      assert.equal((await authz.getDenyAssignment(deny.id))?.excludePrincipals[0]?.id, w.q)
      await assert.rejects(
        authz.createDenyAssignment(w.rg, {
          id: deny.id,
          name: 'x',
          permissions: [{ actions: ['*'] }],
          principals: [{ id: EVERYONE, type: 'SystemDefined' }],
        }),
        { status: 409, code: 'DenyAssignmentExists' },
      )
      await assert.rejects(
        authz.createDenyAssignment(w.rg, {
          name: 'x',
          permissions: [{ actions: ['nope'] }],
          principals: [{ id: EVERYONE, type: 'SystemDefined' }],
        }),
        { status: 400, code: 'InvalidActionOrNotAction' },
      )
      assert.equal((await authz.deleteDenyAssignment(deny.id))?.id, deny.id)
      assert.equal(authz.checkAccess(w.p, del, w.vm), true)
    })

    it('follows deletions made by others through the change log, on every replica', async () => {
      const w = await world()
      const replica = await createAuthz({ store, clock: { now: () => ++t } })
      await assign(w.vm, w.p, OWNER)
      await assign(w.rg, w.q, READER)
      assert.equal(
        replica.checkAccess(w.p, WRITE_VM, w.vm),
        false,
        'a replica sees nothing before it syncs',
      )
      await replica.sync()
      assert.equal(replica.checkAccess(w.p, WRITE_VM, w.vm), true)
      // What the directory does when it deletes a principal or a group, seen from here: rows go
      // (the cascade in this test), and the events name what went.
      await store.transaction(async (tx) => {
        await tx.principals.delete(w.p)
        await tx.events.append({ at: ++t, kind: 'principal.deleted', subject: w.p, data: '{}' })
        await tx.roleAssignments.deleteAtOrBelow(w.h.group.key)
        await tx.events.append({
          at: ++t,
          kind: 'resourceGroup.deleted',
          subject: w.h.group.key,
          data: '{}',
        })
      })
      for (const a of [authz, replica]) {
        await a.sync()
        assert.equal(a.checkAccess(w.p, WRITE_VM, w.vm), false)
        assert.equal(a.checkAccess(w.q, 'Microsoft.Compute/virtualMachines/read', w.vm), false)
      }
      await replica.refresh()
      assert.equal(replica.size, authz.size)
    })
  })
}
