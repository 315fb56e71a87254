// Deny assignments: read through the real @azure/arm-authorization client as in Azure, and
// written with Keyless's own PUT/DELETE by the operator alone. A deny overrides every grant
// except for its excluded principals.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import {
  collect,
  LOCATION,
  restError,
  ROLES,
  startRbac,
  type Rbac,
  type Workload,
} from './rbac.config.js'

const EVERYONE = '00000000-0000-0000-0000-000000000000'

describe('deny assignments', () => {
  let r: Rbac
  let group: string
  let fenced: Workload
  let excluded: Workload
  const denyName = randomUUID()
  let denyId: string
  const vm = (name: string) => `${group}/providers/Microsoft.Compute/virtualMachines/${name}`

  before(async () => {
    r = await startRbac()
    group = await r.group('deny-rg')
    fenced = await r.workload('fenced')
    excluded = await r.workload('excluded')
    for (const w of [fenced, excluded]) await r.assign(group, ROLES.owner, w.principalId)
    denyId = `${group}/providers/Microsoft.Authorization/denyAssignments/${denyName}`
  })
  after(async () => r?.dispose())

  it('lets the operator create one with PUT (201), Keyless-specific', async () => {
    const res = await r.request('PUT', denyId, {
      properties: {
        denyAssignmentName: 'no VM writes',
        description: 'frozen for the audit',
        permissions: [{ actions: ['Microsoft.Compute/virtualMachines/write'] }],
        principals: [{ id: EVERYONE, type: 'SystemDefined' }],
        excludePrincipals: [{ id: excluded.principalId, type: 'ServicePrincipal' }],
      },
    })
    assert.equal(res.status, 201, res.text)
    const body = res.json()
    assert.equal(body.id, denyId)
    assert.equal(body.name, denyName)
    assert.equal(body.type, 'Microsoft.Authorization/denyAssignments')
    assert.equal(body.properties.scope, group)
    assert.equal(body.properties.isSystemProtected, false)
    const again = await r.request('PUT', denyId, {
      properties: {
        denyAssignmentName: 'again',
        permissions: [{ actions: ['*'] }],
        principals: [{ id: EVERYONE }],
      },
    })
    assert.equal(again.status, 409)
    assert.equal(again.json().error.code, 'DenyAssignmentExists')
  })

  it('overrides an Owner grant, except for the excluded principal', async () => {
    const denied = await fenced.request('PUT', vm('a'), { location: LOCATION })
    assert.equal(denied.status, 403)
    assert.equal(denied.json().error.code, 'AuthorizationFailed')
    assert.equal((await fenced.request('GET', group)).status, 200, 'reads are not denied')
    const allowed = await excluded.request('PUT', vm('b'), { location: LOCATION })
    assert.equal(allowed.status, 201, allowed.text)
  })

  it('is read like Azure’s: list at the group and subscription, get at its scope and by id', async () => {
    const listed = await collect(r.client.denyAssignments.listForResourceGroup('deny-rg'))
    assert.deepEqual(
      listed.map((d) => d.id),
      [denyId],
    )
    const d = listed[0]!
    assert.equal(d.denyAssignmentName, 'no VM writes')
    assert.equal(d.description, 'frozen for the audit')
    assert.equal(d.scope, group)
    assert.equal(d.doNotApplyToChildScopes, false)
    assert.deepEqual(d.principals, [{ id: EVERYONE, type: 'SystemDefined' }])
    assert.deepEqual(d.excludePrincipals, [{ id: excluded.principalId, type: 'ServicePrincipal' }])
    assert.deepEqual(d.permissions, [
      {
        actions: ['Microsoft.Compute/virtualMachines/write'],
        notActions: [],
        dataActions: [],
        notDataActions: [],
      },
    ])
    const bySub = await collect(r.client.denyAssignments.list())
    assert.ok(
      bySub.some((x) => x.id === denyId),
      'listed below the subscription',
    )
    const atScope = await collect(r.client.denyAssignments.list({ filter: 'atScope()' }))
    assert.deepEqual(atScope, [], 'atScope() leaves out the group')
    assert.equal((await r.client.denyAssignments.get(group, denyName)).id, denyId)
    assert.equal(
      (await r.client.denyAssignments.getById(denyId)).denyAssignmentName,
      'no VM writes',
    )
    const elsewhere = await restError(r.client.denyAssignments.get(r.sub, denyName))
    assert.equal(elsewhere.statusCode, 404)
    assert.equal(elsewhere.code, 'DenyAssignmentNotFound')
  })

  it('is written by the operator alone, whatever roles others hold', async () => {
    const owner = await r.workload('owner')
    await r.assign(r.sub, ROLES.owner, owner.principalId)
    const put = await owner.request(
      'PUT',
      `${group}/providers/Microsoft.Authorization/denyAssignments/${randomUUID()}`,
      {
        properties: {
          denyAssignmentName: 'x',
          permissions: [{ actions: ['*'] }],
          principals: [{ id: EVERYONE }],
        },
      },
    )
    assert.equal(put.status, 403)
    assert.equal(put.json().error.code, 'AuthorizationFailed')
    assert.match(put.json().error.message, /Microsoft\.Authorization\/denyAssignments\/write/)
    const del = await owner.request('DELETE', denyId)
    assert.equal(del.status, 403)
    assert.ok((await owner.client().denyAssignments.getById(denyId)).id, 'an Owner may read it')
  })

  // Deleting a group drops what is at or below it, by path segment: group `fence0` is not below
  // group `fence`, so its deny assignment keeps refusing (the index once matched by prefix).
  it('keeps denying at a sibling group whose name extends a deleted group', async () => {
    const fence = await r.group('fence')
    const fence0 = await r.group('fence0')
    const sibling = await r.workload('sibling')
    for (const g of [fence, fence0]) await r.assign(g, ROLES.owner, sibling.principalId)
    const put = await r.request(
      'PUT',
      `${fence0}/providers/Microsoft.Authorization/denyAssignments/${randomUUID()}`,
      {
        properties: {
          denyAssignmentName: 'fence0 frozen',
          permissions: [{ actions: ['Microsoft.Compute/virtualMachines/write'] }],
          principals: [{ id: EVERYONE, type: 'SystemDefined' }],
        },
      },
    )
    assert.equal(put.status, 201, put.text)
    const vmIn = (g: string) => `${g}/providers/Microsoft.Compute/virtualMachines/v`
    assert.equal((await sibling.request('PUT', vmIn(fence0), { location: LOCATION })).status, 403)
    const deleted = await r.request('DELETE', fence)
    assert.equal(deleted.status, 202, deleted.text)
    assert.equal((await r.request('HEAD', fence)).status, 404)
    // The deletion's response waits until the index has applied it (server/read-your-writes.ts).
    const denied = await sibling.request('PUT', vmIn(fence0), { location: LOCATION })
    assert.equal(denied.status, 403, denied.text)
    assert.equal(denied.json().error.code, 'AuthorizationFailed')
    const listed = await collect(r.client.denyAssignments.listForResourceGroup('fence0'))
    assert.deepEqual(
      listed.map((d) => d.denyAssignmentName),
      ['fence0 frozen'],
    )
  })

  it('is deleted by the operator with 200, then 204, and stops denying at once', async () => {
    const res = await r.request('DELETE', denyId)
    assert.equal(res.status, 200, res.text)
    assert.equal(res.json().properties.denyAssignmentName, 'no VM writes')
    assert.equal((await r.request('DELETE', denyId)).status, 204)
    const allowed = await fenced.request('PUT', vm('c'), { location: LOCATION })
    assert.equal(allowed.status, 201, allowed.text)
  })
})
