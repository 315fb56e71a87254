// Role definitions through the real @azure/arm-authorization client (reference §4, §6): the
// built-ins at every scope and by full id, custom roles created, updated (201 both times: the
// SDK accepts nothing else), validated and deleted, and a role in use kept.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import type { Permission, RoleDefinition } from '@azure/arm-authorization'
import { collect, restError, ROLES, startRbac, type Rbac } from './rbac.config.js'

describe('role definitions over the Azure SDK', () => {
  let r: Rbac
  let group: string
  const customId = randomUUID()
  const custom = (overrides: Partial<RoleDefinition> = {}): RoleDefinition => ({
    roleName: 'VM Restarter',
    description: 'Restarts virtual machines',
    roleType: 'CustomRole',
    permissions: [
      {
        actions: [
          'Microsoft.Compute/virtualMachines/read',
          'Microsoft.Compute/virtualMachines/restart/action',
        ],
        notActions: [],
        dataActions: [],
        notDataActions: [],
      },
    ],
    assignableScopes: [r.sub],
    ...overrides,
  })

  before(async () => {
    r = await startRbac()
    group = await r.group('defs-rg')
  })
  after(async () => r?.dispose())

  it('lists the built-in roles at a subscription, with ids under it', async () => {
    const all = await collect(r.client.roleDefinitions.list(r.sub))
    const reader = all.find((d) => d.name === ROLES.reader)
    assert.ok(reader, 'Reader is listed')
    assert.equal(
      reader.id,
      `${r.sub}/providers/Microsoft.Authorization/roleDefinitions/${ROLES.reader}`,
    )
    assert.equal(reader.type, 'Microsoft.Authorization/roleDefinitions')
    assert.equal(reader.roleName, 'Reader')
    assert.equal(reader.roleType, 'BuiltInRole')
    assert.deepEqual(reader.assignableScopes, ['/'])
    assert.deepEqual(reader.permissions, [
      { actions: ['*/read'], notActions: [], dataActions: [], notDataActions: [] },
    ])
    for (const name of ['Owner', 'Contributor', 'Managed Identity Operator']) {
      assert.ok(
        all.some((d) => d.roleName === name),
        name,
      )
    }
  })

  it("filters by roleName eq and type eq, at a group's scope too", async () => {
    const byName = await collect(
      r.client.roleDefinitions.list(group, { filter: "roleName eq 'Contributor'" }),
    )
    assert.deepEqual(
      byName.map((d) => d.name),
      [ROLES.contributor],
    )
    const builtIn = await collect(
      r.client.roleDefinitions.list(r.sub, { filter: "type eq 'BuiltInRole'" }),
    )
    assert.ok(builtIn.length >= 10)
    assert.ok(builtIn.every((d) => d.roleType === 'BuiltInRole'))
  })

  it('gets a built-in at a scope, and by its full id in the tenant and subscription forms', async () => {
    const atScope = await r.client.roleDefinitions.get(group, ROLES.owner)
    assert.equal(atScope.roleName, 'Owner')
    const tenant = await r.client.roleDefinitions.getById(
      `/providers/Microsoft.Authorization/roleDefinitions/${ROLES.managedIdentityOperator}`,
    )
    assert.equal(tenant.roleName, 'Managed Identity Operator')
    assert.equal(
      tenant.id,
      `/providers/Microsoft.Authorization/roleDefinitions/${ROLES.managedIdentityOperator}`,
    )
    const bySub = await r.client.roleDefinitions.getById(r.roleDefinitionId(ROLES.contributor))
    assert.equal(bySub.roleName, 'Contributor')
    assert.ok(bySub.permissions![0]!.notActions!.includes('Microsoft.Authorization/*/Write'))
  })

  it('answers RoleDefinitionDoesNotExist for an unknown role', async () => {
    const e = await restError(r.client.roleDefinitions.get(r.sub, randomUUID()))
    assert.equal(e.statusCode, 404)
    assert.equal(e.code, 'RoleDefinitionDoesNotExist')
  })

  it('refuses to overwrite or delete a built-in role', async () => {
    const put = await restError(
      r.client.roleDefinitions.createOrUpdate(r.sub, ROLES.reader, custom({ roleName: 'Mine' })),
    )
    assert.equal(put.statusCode, 409)
    assert.equal(put.code, 'RoleDefinitionExists')
    const del = await restError(r.client.roleDefinitions.delete(r.sub, ROLES.reader))
    assert.equal(del.statusCode, 403)
    assert.equal(del.code, 'BuiltInRoleNotModifiable')
  })

  it('validates assignable scopes', async () => {
    const none = await restError(
      r.client.roleDefinitions.createOrUpdate(
        r.sub,
        randomUUID(),
        custom({ assignableScopes: [] }),
      ),
    )
    assert.equal(none.statusCode, 400)
    assert.equal(none.code, 'MissingAssignableScopes')
    const root = await restError(
      r.client.roleDefinitions.createOrUpdate(
        r.sub,
        randomUUID(),
        custom({ assignableScopes: ['/'] }),
      ),
    )
    assert.equal(root.code, 'InvalidAssignableScopes')
    const junk = await restError(
      r.client.roleDefinitions.createOrUpdate(
        r.sub,
        randomUUID(),
        custom({ assignableScopes: ['/not/a/scope'] }),
      ),
    )
    assert.equal(junk.code, 'LinkedInvalidPropertyId')
    const name = await restError(
      r.client.roleDefinitions.createOrUpdate(r.sub, randomUUID(), custom({ roleName: 'Owner' })),
    )
    assert.equal(name.statusCode, 409)
    assert.equal(name.code, 'RoleDefinitionWithSameNameExists')
  })

  it("refuses a permission with several wildcards with ARM's error, creating nothing", async () => {
    const id = randomUUID()
    const permissions = (p: Partial<Permission>) => [
      { actions: ['*/read'], notActions: [], dataActions: [], notDataActions: [], ...p },
    ]
    const freezing = await restError(
      r.client.roleDefinitions.createOrUpdate(
        r.sub,
        id,
        custom({ permissions: permissions({ actions: ['Microsoft.a*a*a*a*a*/x'] }) }),
      ),
    )
    assert.equal(freezing.statusCode, 400)
    assert.equal(freezing.code, 'InvalidActionOrNotAction')
    assert.equal(
      freezing.message,
      "'Microsoft.a*a*a*a*a*/x' contains multiple wildcards. Only one is allowed.",
    )
    const data = await restError(
      r.client.roleDefinitions.createOrUpdate(
        r.sub,
        id,
        custom({ permissions: permissions({ notDataActions: ['Microsoft.Storage/*/blobs/*'] }) }),
      ),
    )
    assert.equal(data.code, 'InvalidDataActionOrNotDataAction')
    const gone = await restError(r.client.roleDefinitions.get(r.sub, id))
    assert.equal(gone.statusCode, 404)
  })

  it('creates a custom role, then updates it, answering 201 both times', async () => {
    const created = await r.client.roleDefinitions.createOrUpdate(r.sub, customId, custom())
    assert.equal(created.name, customId)
    assert.equal(created.id, r.roleDefinitionId(customId))
    assert.equal(created.roleType, 'CustomRole')
    assert.deepEqual(created.assignableScopes, [r.sub])
    assert.ok(created.createdOn instanceof Date)
    const updated = await r.client.roleDefinitions.createOrUpdate(
      r.sub,
      customId,
      custom({ description: 'Restarts VMs', assignableScopes: [r.sub, group] }),
    )
    assert.equal(updated.description, 'Restarts VMs')
    assert.deepEqual(updated.assignableScopes, [r.sub, group])
    const got = await r.client.roleDefinitions.getById(r.roleDefinitionId(customId))
    assert.equal(got.description, 'Restarts VMs')
    const mine = await collect(
      r.client.roleDefinitions.list(group, { filter: "type eq 'CustomRole'" }),
    )
    assert.deepEqual(
      mine.map((d) => d.roleName),
      ['VM Restarter'],
    )
  })

  it('refuses to delete a custom role while an assignment uses it, then deletes it', async () => {
    const uami = await r.identity('defs-rg', 'restarter')
    const assignment = await r.assign(group, customId, uami.principalId)
    const inUse = await restError(r.client.roleDefinitions.delete(r.sub, customId))
    assert.equal(inUse.statusCode, 409)
    assert.equal(inUse.code, 'RoleDefinitionHasAssignments')
    assert.equal((await r.request('DELETE', assignment)).status, 200)
    const deleted = await r.client.roleDefinitions.delete(r.sub, customId)
    assert.equal(deleted.roleName, 'VM Restarter')
    const again = await r.request(
      'DELETE',
      `${r.sub}/providers/Microsoft.Authorization/roleDefinitions/${customId}`,
    )
    assert.equal(again.status, 204)
    const gone = await restError(r.client.roleDefinitions.get(r.sub, customId))
    assert.equal(gone.code, 'RoleDefinitionDoesNotExist')
  })

  it('needs roleDefinitions/write: a Contributor may read roles but not create one', async () => {
    const w = await r.workload('defs-vm')
    await r.assign(r.sub, ROLES.contributor, w.principalId)
    const listed = await collect(w.client().roleDefinitions.list(r.sub))
    assert.ok(listed.length > 0)
    const e = await restError(
      w.client().roleDefinitions.createOrUpdate(r.sub, randomUUID(), custom({ roleName: 'Nope' })),
    )
    assert.equal(e.statusCode, 403)
    assert.equal(e.code, 'AuthorizationFailed')
    assert.match(e.message, /Microsoft\.Authorization\/roleDefinitions\/write/)
  })
})
