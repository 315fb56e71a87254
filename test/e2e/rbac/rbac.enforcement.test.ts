// The control plane enforces RBAC on a managed identity's own requests: a VM's system-assigned
// identity on an enrolled host, signed in with the token the host protocol issues it, is
// Contributor on group A and nothing else. Attaching a user-assigned identity also needs
// assign/action on it (Managed Identity Operator), and a removed assignment counts from the next
// request: decisions come from the live index, nothing is cached.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { https } from '../../helpers/https.js'
import { decodeJwt } from 'jose'
import {
  authorizationFailed,
  LOCATION,
  restError,
  ROLES,
  startRbac,
  type Rbac,
  type Workload,
} from './rbac.config.js'

const VM_WRITE = 'Microsoft.Compute/virtualMachines/write'
const ASSIGN = 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action'

describe('RBAC enforcement on a managed identity', () => {
  let r: Rbac
  let mi: Workload
  let groupA: string
  let groupB: string
  let uami: { id: string; principalId: string }
  let contributor: string
  const vm = (group: string, name: string) =>
    `${group}/providers/Microsoft.Compute/virtualMachines/${name}`

  before(async () => {
    r = await startRbac()
    groupA = await r.group('team-a')
    groupB = await r.group('team-b')
    uami = await r.identity('team-b', 'shared-id')
    mi = await r.workload('builder')
    contributor = await r.assign(groupA, ROLES.contributor, mi.principalId)
  })
  after(async () => r?.dispose())

  it('lets the identity create a VM in the group it is Contributor on', async () => {
    const res = await mi.request('PUT', vm(groupA, 'app-1'), { location: LOCATION })
    assert.equal(res.status, 201, res.text)
    assert.equal((await mi.request('GET', vm(groupA, 'app-1'))).status, 200)
  })

  it("refuses the same in another group with Azure's AuthorizationFailed", async () => {
    const res = await mi.request('PUT', vm(groupB, 'app-1'), { location: LOCATION })
    assert.equal(res.status, 403)
    assert.deepEqual(res.json().error, {
      code: 'AuthorizationFailed',
      message: authorizationFailed(mi.principalId, VM_WRITE, vm(groupB, 'app-1')),
      target: null,
      details: [],
      additionalInfo: [],
    })
    const list = await mi.request('GET', `${groupB}/providers/Microsoft.Compute/virtualMachines`)
    assert.equal(list.status, 403)
  })

  it('needs assign/action on a user-assigned identity to attach it: LinkedAuthorizationFailed', async () => {
    const body = {
      location: LOCATION,
      identity: { type: 'UserAssigned', userAssignedIdentities: { [uami.id]: {} } },
    }
    const res = await mi.request('PUT', vm(groupA, 'app-2'), body)
    assert.equal(res.status, 403, res.text)
    const error = res.json().error
    assert.equal(error.code, 'LinkedAuthorizationFailed')
    assert.equal(
      error.message,
      `The client '${mi.principalId}' with object id '${mi.principalId}' has permission to perform action '${VM_WRITE}' on scope '${vm(groupA, 'app-2')}'; however, it does not have permission to perform action(s) '${ASSIGN}' on the linked scope(s) '${uami.id}' (respectively) or the linked scope(s) are invalid.`,
    )
    assert.equal((await mi.request('GET', vm(groupA, 'app-2'))).status, 404, 'nothing was created')
  })

  it("attaches it once the identity is Managed Identity Operator on it (its '*/assign/action')", async () => {
    await r.assign(uami.id, ROLES.managedIdentityOperator, mi.principalId)
    const res = await mi.request('PUT', vm(groupA, 'app-2'), {
      location: LOCATION,
      identity: { type: 'UserAssigned', userAssignedIdentities: { [uami.id]: {} } },
    })
    assert.equal(res.status, 201, res.text)
    assert.ok(uami.id in res.json().identity.userAssignedIdentities)
  })

  it('cannot create role assignments: Contributor excludes Microsoft.Authorization/*/Write', async () => {
    const e = await restError(
      mi.client().roleAssignments.create(groupA, randomUUID(), {
        roleDefinitionId: r.roleDefinitionId(ROLES.owner),
        principalId: mi.principalId,
      }),
    )
    assert.equal(e.statusCode, 403)
    assert.equal(e.code, 'AuthorizationFailed')
    assert.equal(
      e.message,
      authorizationFailed(mi.principalId, 'Microsoft.Authorization/roleAssignments/write', groupA),
    )
  })

  it('reads service principals only once granted directory reads: Reader at the root', async () => {
    const url = `${r.base}/v1.0/servicePrincipals/${uami.principalId}`
    const read = async () =>
      https(url, { headers: { authorization: `Bearer ${await mi.token()}` }, ca: r.k.ca })
    const denied = await read()
    assert.equal(denied.status, 403)
    assert.equal(denied.json().error.code, 'Authorization_RequestDenied')
    const reader = await r.assign('/', ROLES.reader, mi.principalId)
    const allowed = await read()
    assert.equal(allowed.status, 200, allowed.text)
    assert.equal(allowed.json().id, uami.principalId)
    assert.equal((await r.request('DELETE', reader)).status, 200)
  })

  it('loses access on the very next request once the assignment is removed', async () => {
    assert.equal((await mi.request('GET', vm(groupA, 'app-1'))).status, 200)
    const token = await mi.token()
    const name = contributor.split('/').pop()!
    await r.client.roleAssignments.delete(groupA, name)
    const res = await r.request('PUT', vm(groupA, 'app-3'), { location: LOCATION }, token)
    assert.equal(res.status, 403, 'the same token, one request later')
    assert.equal(res.json().error.code, 'AuthorizationFailed')
    assert.equal((await r.request('GET', vm(groupA, 'app-1'), undefined, token)).status, 403)
  })

  // A group deleted and created again under the same name is a new group: the old one's
  // assignments went with it. The deletion's response waits for the index to apply it, so even
  // the very next request after a re-create is decided without them.
  it("drops a deleted group's assignments before the delete returns", async () => {
    const group = await r.group('recreated')
    await r.assign(group, ROLES.contributor, mi.principalId)
    assert.equal((await mi.request('PUT', vm(group, 'before'), { location: LOCATION })).status, 201)
    for (let round = 0; round < 5; round++) {
      const deleted = await r.request('DELETE', group)
      assert.equal(deleted.status, 202, deleted.text)
      await r.group('recreated')
      const res = await mi.request('PUT', vm(group, `after-${round}`), { location: LOCATION })
      assert.equal(res.status, 403, `round ${round}: ${res.text}`)
      assert.equal(res.json().error.code, 'AuthorizationFailed')
      await r.assign(group, ROLES.contributor, mi.principalId)
    }
  })

  // What `az login` reads first, answered as ARM does for a caller that is not the operator:
  // the subscriptions in which it holds any assignment (an empty list, not a 403, without one).
  it('lists the subscriptions and tenants a managed identity may see', async () => {
    const other = await r.workload('newcomer')
    const subs = async () => {
      const res = await other.request('GET', `/subscriptions`)
      assert.equal(res.status, 200, res.text)
      return res.json().value.map((v: { subscriptionId: string }) => v.subscriptionId)
    }
    assert.deepEqual(await subs(), [])
    assert.equal((await other.request('GET', r.sub)).status, 403)
    const tenants = await other.request('GET', '/tenants')
    assert.equal(tenants.status, 200, tenants.text)
    assert.deepEqual(
      tenants.json().value.map((t: { tenantId: string }) => t.tenantId),
      [decodeJwt(await other.token()).tid],
    )
    const group = await r.group('visible')
    const reader = await r.assign(group, ROLES.reader, other.principalId)
    const id = r.sub.split('/')[2]!
    assert.deepEqual(await subs(), [id])
    const one = await other.request('GET', r.sub)
    assert.equal(one.status, 200, one.text)
    assert.equal(one.json().subscriptionId, id)
    assert.equal((await r.request('DELETE', reader)).status, 200)
    assert.deepEqual(await subs(), [], 'gone with the assignment')
  })
})
