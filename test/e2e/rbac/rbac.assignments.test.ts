// Role assignments through the real @azure/arm-authorization client (reference §4): create,
// get (at a scope and by full id), the list at any scope with each `$filter`, paging whose
// nextLink keeps the filter, delete, Azure's errors, and no orphans once a principal or a scope
// is deleted.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { https } from '../../helpers/https.js'
import { AUTHZ_API, collect, restError, ROLES, startRbac, type Rbac } from './rbac.config.js'

describe('role assignments over the Azure SDK', () => {
  let r: Rbac
  let group: string
  let vm: string
  let alice: { id: string; principalId: string }
  let bob: { id: string; principalId: string }
  const name = randomUUID()

  before(async () => {
    r = await startRbac()
    group = await r.group('assign-rg')
    alice = await r.identity('assign-rg', 'alice')
    bob = await r.identity('assign-rg', 'bob')
    const res = await r.request('PUT', `${group}/providers/Microsoft.Compute/virtualMachines/vm1`, {
      location: 'eastus',
    })
    assert.equal(res.status, 201, res.text)
    vm = res.json().id
  })
  after(async () => r?.dispose())

  it('creates an assignment with 201 and reads it back at its scope and by id', async () => {
    const created = await r.client.roleAssignments.create(group, name, {
      roleDefinitionId: r.roleDefinitionId(ROLES.reader),
      principalId: alice.principalId,
      principalType: 'ServicePrincipal',
      description: 'reads the group',
    })
    const id = `${group}/providers/Microsoft.Authorization/roleAssignments/${name}`
    assert.equal(created.id, id)
    assert.equal(created.name, name)
    assert.equal(created.type, 'Microsoft.Authorization/roleAssignments')
    assert.equal(created.scope, group)
    assert.equal(created.roleDefinitionId, r.roleDefinitionId(ROLES.reader))
    assert.equal(created.principalId, alice.principalId)
    assert.equal(created.principalType, 'ServicePrincipal')
    assert.equal(created.description, 'reads the group')
    assert.equal(created.createdBy, r.operatorId)
    assert.ok(created.createdOn instanceof Date)

    const got = await r.client.roleAssignments.get(group, name)
    assert.equal(got.id, id)
    const byId = await r.client.roleAssignments.getById(id)
    assert.equal(byId.principalId, alice.principalId)
    const raw = await r.request('PUT', id, {
      properties: {
        roleDefinitionId: r.roleDefinitionId(ROLES.reader),
        principalId: alice.principalId,
        description: 'still reads',
      },
    })
    assert.equal(raw.status, 200, 'a second PUT of the same assignment updates it')
    assert.equal(raw.json().properties.description, 'still reads')
  })

  it('creates by full id too, principalType defaulting to the principal’s', async () => {
    const id = `${vm}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`
    const created = await r.client.roleAssignments.createById(id, {
      roleDefinitionId: r.roleDefinitionId(ROLES.contributor),
      principalId: bob.principalId,
    })
    assert.equal(created.scope, vm)
    assert.equal(created.principalType, 'ServicePrincipal')
  })

  it('lists at, above and below a scope, or at and above it with atScope()', async () => {
    const atSub = await r.assign(r.sub, ROLES.reader, bob.principalId)
    const atGroup = await collect(r.client.roleAssignments.listForScope(group))
    const ids = atGroup.map((a) => a.id!)
    assert.ok(ids.includes(`${group}/providers/Microsoft.Authorization/roleAssignments/${name}`))
    assert.ok(ids.includes(atSub), 'the subscription assignment applies at the group')
    assert.ok(
      ids.some((id) => id.startsWith(vm)),
      'the VM assignment is below the group',
    )
    assert.ok(
      ids.some((id) => id.startsWith('/providers/')),
      "the operator's Owner at /",
    )

    const onlyAt = await collect(
      r.client.roleAssignments.listForScope(group, { filter: 'atScope()' }),
    )
    assert.ok(onlyAt.some((a) => a.id === atSub))
    assert.ok(!onlyAt.some((a) => a.id!.startsWith(vm)), 'atScope() leaves out subscopes')

    const forRg = await collect(r.client.roleAssignments.listForResourceGroup('assign-rg'))
    assert.deepEqual(forRg.map((a) => a.id).sort(), ids.sort())
    const forVm = await collect(
      r.client.roleAssignments.listForResource(
        'assign-rg',
        'Microsoft.Compute',
        'virtualMachines',
        'vm1',
      ),
    )
    assert.ok(forVm.some((a) => a.scope === vm))
  })

  it('filters by principalId eq and assignedTo(), alone and with atScope()', async () => {
    const byPrincipal = await collect(
      r.client.roleAssignments.listForScope(group, {
        filter: `principalId eq '${bob.principalId}'`,
      }),
    )
    assert.deepEqual(byPrincipal.map((a) => a.scope).sort(), [r.sub, vm].sort())
    const assigned = await collect(
      r.client.roleAssignments.listForSubscription({
        filter: `assignedTo('${alice.principalId}')`,
      }),
    )
    assert.deepEqual(
      assigned.map((a) => a.name),
      [name],
    )
    const both = await collect(
      r.client.roleAssignments.listForScope(group, {
        filter: `atScope() and assignedTo('${bob.principalId}')`,
      }),
    )
    assert.deepEqual(
      both.map((a) => a.scope),
      [r.sub],
    )
    const bad = await restError(
      collect(r.client.roleAssignments.listForScope(group, { filter: "roleName eq 'x'" })),
    )
    assert.equal(bad.statusCode, 400)
    assert.equal(bad.code, 'InvalidFilter')
  })

  it('pages with $top and a nextLink that keeps the filter and the api-version', async () => {
    const pager = await r.identity('assign-rg', 'pager')
    const roles = [ROLES.reader, ROLES.contributor, ROLES.owner, ROLES.userAccessAdministrator]
    const made = await Promise.all(roles.map((role) => r.assign(group, role, pager.principalId)))
    await r.assign(vm, ROLES.reader, pager.principalId)
    const filter = encodeURIComponent(`atScope() and principalId eq '${pager.principalId}'`)
    let url: string | undefined =
      `${r.base}${group}/providers/Microsoft.Authorization/roleAssignments?api-version=${AUTHZ_API}&$filter=${filter}&$top=2`
    const seen: string[] = []
    let pages = 0
    while (url) {
      const res = await https(url, {
        headers: { authorization: `Bearer ${r.operatorToken}` },
        ca: r.k.ca,
      })
      assert.equal(res.status, 200, res.text)
      const body = res.json()
      assert.ok(body.value.length <= 2)
      seen.push(...body.value.map((a: { id: string }) => a.id))
      url = body.nextLink
      if (url) {
        assert.ok(url.startsWith(`${r.base}/`), url)
        assert.match(url, /api-version=2022-04-01/)
        assert.equal(new URL(url).searchParams.get('$filter'), decodeURIComponent(filter))
      }
      pages++
    }
    assert.equal(pages, 2)
    assert.deepEqual(seen.sort(), made.sort(), 'the filter holds on every page')
    const sdk = await collect(
      r.client.roleAssignments.listForScope(group, {
        filter: `atScope() and principalId eq '${pager.principalId}'`,
      }),
    )
    assert.deepEqual(sdk.map((a) => a.id!).sort(), made.sort())
  })

  it('answers RoleAssignmentExists for the same principal, role and scope under a new name', async () => {
    const e = await restError(
      r.client.roleAssignments.create(group, randomUUID(), {
        roleDefinitionId: r.roleDefinitionId(ROLES.reader),
        principalId: alice.principalId,
      }),
    )
    assert.equal(e.statusCode, 409)
    assert.equal(e.code, 'RoleAssignmentExists')
    assert.equal(e.message, 'The role assignment already exists.')
  })

  it('answers PrincipalNotFound for a principal the directory does not have', async () => {
    const ghost = randomUUID()
    const e = await restError(
      r.client.roleAssignments.create(group, randomUUID(), {
        roleDefinitionId: r.roleDefinitionId(ROLES.reader),
        principalId: ghost,
      }),
    )
    assert.equal(e.statusCode, 400)
    assert.equal(e.code, 'PrincipalNotFound')
    assert.match(
      e.message,
      new RegExp(
        `^Principal ${ghost} does not exist in the directory ${r.k.endpoints.tenantId}\\.`,
      ),
    )
  })

  it('answers RoleDefinitionDoesNotExist for an unknown role', async () => {
    const e = await restError(
      r.client.roleAssignments.create(group, randomUUID(), {
        roleDefinitionId: r.roleDefinitionId(randomUUID()),
        principalId: alice.principalId,
      }),
    )
    assert.equal(e.statusCode, 400)
    assert.equal(e.code, 'RoleDefinitionDoesNotExist')
  })

  it('answers InvalidRoleAssignmentId when the name is not a GUID', async () => {
    const e = await restError(
      r.client.roleAssignments.create(group, 'not-a-guid', {
        roleDefinitionId: r.roleDefinitionId(ROLES.reader),
        principalId: alice.principalId,
      }),
    )
    assert.equal(e.statusCode, 400)
    assert.equal(e.code, 'InvalidRoleAssignmentId')
    const get = await restError(r.client.roleAssignments.get(group, 'not-a-guid'))
    assert.equal(get.code, 'InvalidRoleAssignmentId')
  })

  it('answers RoleAssignmentUpdateNotPermitted when a name is reused for another principal', async () => {
    const e = await restError(
      r.client.roleAssignments.create(group, name, {
        roleDefinitionId: r.roleDefinitionId(ROLES.reader),
        principalId: bob.principalId,
      }),
    )
    assert.equal(e.statusCode, 409)
    assert.equal(e.code, 'RoleAssignmentUpdateNotPermitted')
  })

  it('answers RoleAssignmentNotFound for an absent assignment, and for one at another scope', async () => {
    const absent = await restError(r.client.roleAssignments.get(group, randomUUID()))
    assert.equal(absent.statusCode, 404)
    assert.equal(absent.code, 'RoleAssignmentNotFound')
    const elsewhere = await restError(r.client.roleAssignments.get(r.sub, name))
    assert.equal(elsewhere.code, 'RoleAssignmentNotFound')
  })

  it('deletes with 200 and the old body, then answers 204', async () => {
    const deleted = await r.client.roleAssignments.delete(group, name)
    assert.equal(deleted.principalId, alice.principalId)
    const id = `${group}/providers/Microsoft.Authorization/roleAssignments/${name}`
    const again = await r.request('DELETE', id)
    assert.equal(again.status, 204)
    assert.equal(again.text, '')
    const missing = await restError(r.client.roleAssignments.getById(id))
    assert.equal(missing.statusCode, 404)
  })

  it('removes the assignments of a deleted principal and of a deleted scope: no orphans', async () => {
    const carol = await r.identity('assign-rg', 'carol')
    const atSub = await r.assign(r.sub, ROLES.reader, carol.principalId)
    await r.assign(group, ROLES.contributor, carol.principalId)
    const listed = async (scope: string, principalId: string) =>
      (
        await collect(
          r.client.roleAssignments.listForScope(scope, {
            filter: `principalId eq '${principalId}'`,
          }),
        )
      ).map((a) => a.id)
    assert.equal((await listed(r.sub, carol.principalId)).length, 2)

    // Deleting the identity deletes its principal, and with it every assignment it held.
    assert.equal((await r.request('DELETE', carol.id)).status, 200)
    assert.deepEqual(await listed(r.sub, carol.principalId), [])
    const byId = await restError(r.client.roleAssignments.getById(atSub))
    assert.equal(byId.statusCode, 404)

    // Deleting a group deletes the assignments at and below it; those above stay.
    const dave = await r.identity('assign-rg', 'dave')
    const other = await r.group('doomed-rg')
    await r.assign(r.sub, ROLES.reader, dave.principalId)
    await r.assign(other, ROLES.contributor, dave.principalId)
    await r.assign(other, ROLES.contributor, bob.principalId)
    const deleted = await r.request('DELETE', other)
    assert.equal(deleted.status, 202, deleted.text)
    const left = await collect(r.client.roleAssignments.listForSubscription())
    assert.ok(!left.some((a) => a.scope!.toLowerCase().startsWith(other.toLowerCase())))
    assert.deepEqual(
      (await listed(r.sub, dave.principalId)).length,
      1,
      'the subscription assignment of the same principal stays',
    )
  })

  it('needs roleAssignments/write at the scope to create one', async () => {
    const w = await r.workload('assign-vm')
    await r.assign(group, ROLES.reader, w.principalId)
    const listed = await collect(w.client().roleAssignments.listForScope(group))
    assert.ok(listed.length > 0, 'a Reader may list the assignments')
    const e = await restError(
      w.client().roleAssignments.create(group, randomUUID(), {
        roleDefinitionId: r.roleDefinitionId(ROLES.owner),
        principalId: w.principalId,
      }),
    )
    assert.equal(e.statusCode, 403)
    assert.equal(e.code, 'AuthorizationFailed')
    assert.match(e.message, /'Microsoft\.Authorization\/roleAssignments\/write'/)
  })
})
