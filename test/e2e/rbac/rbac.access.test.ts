// What a principal may do: ARM's permissions API through the real @azure/arm-authorization
// client (the caller's own blocks, for anyone signed in), and Keyless's checkAccess API, over
// plain HTTPS and through the `keyless/verify` authorizer a user's service runs, with
// explanations that name the chain principal → assignment → role → permission → scope.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { createAuthorizer } from '../../../src/verify/index.js'
import { https } from '../../helpers/https.js'
import { collect, ROLES, startRbac, type Rbac, type Workload } from './rbac.config.js'

const ORDERS_READ = 'Contoso.Orders/orders/read'
const ORDERS_WRITE = 'Contoso.Orders/orders/write'
/** Granted by the custom role only (the caller's Reader covers every `read`). */
const ORDERS_APPROVE = 'Contoso.Orders/orders/approve/action'

describe('permissions and checkAccess', () => {
  let r: Rbac
  let group: string
  let caller: Workload
  let service: Workload
  let ordersRole: string
  let ordersAssignment: string

  const checkAccess = (token: string, body: unknown) =>
    https(`${r.base}/keyless/v1/checkAccess`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      ca: r.k.ca,
    })

  before(async () => {
    r = await startRbac()
    group = await r.group('orders-rg')
    caller = await r.workload('orders-client')
    service = await r.workload('orders-api')
    ordersRole = randomUUID()
    const role = await r.client.roleDefinitions.createOrUpdate(r.sub, ordersRole, {
      roleName: 'Orders Reader',
      permissions: [{ actions: ['Contoso.Orders/orders/*'], notActions: [ORDERS_WRITE] }],
      assignableScopes: [r.sub],
    })
    assert.equal(role.name, ordersRole)
    ordersAssignment = await r.assign(group, ordersRole, caller.principalId)
    await r.assign(r.sub, ROLES.reader, caller.principalId)
  })
  after(async () => r?.dispose())

  describe('the permissions API', () => {
    it("returns the caller's own blocks at a group, one per role assigned at or above it", async () => {
      const blocks = await collect(caller.client().permissions.listForResourceGroup('orders-rg'))
      assert.deepEqual(
        blocks.map((b) => ({ ...b })).sort((a, b) => a.actions![0]!.localeCompare(b.actions![0]!)),
        [
          {
            actions: ['*/read'],
            notActions: [],
            dataActions: [],
            notDataActions: [],
          },
          {
            actions: ['Contoso.Orders/orders/*'],
            notActions: [ORDERS_WRITE],
            dataActions: [],
            notDataActions: [],
          },
        ],
      )
    })

    it('answers for a resource, through the SDK’s empty parent path', async () => {
      const blocks = await collect(
        caller
          .client()
          .permissions.listForResource(
            'rbac-hosts',
            'Microsoft.Compute',
            '',
            'virtualMachines',
            'orders-client',
          ),
      )
      assert.deepEqual(
        blocks.map((b) => b.actions),
        [['*/read']],
        'only the subscription Reader reaches the hosts group',
      )
    })

    it('answers an empty list to a caller with no role, rather than 403', async () => {
      const res = await service.request(
        'GET',
        `${group}/providers/Microsoft.Authorization/permissions`,
      )
      assert.equal(res.status, 200, res.text)
      assert.deepEqual(res.json(), { value: [] })
    })
  })

  describe('POST /keyless/v1/checkAccess', () => {
    it('decides several actions for the caller itself, without any role to read assignments', async () => {
      const res = await checkAccess(await caller.token(), {
        principalId: caller.principalId,
        actions: [ORDERS_READ, ORDERS_WRITE, 'Microsoft.Compute/virtualMachines/read'],
        scope: `${group}/providers/Contoso.Orders/orders/o-1`,
      })
      assert.equal(res.status, 200, res.text)
      assert.deepEqual(res.json(), {
        value: [
          { action: ORDERS_READ, allowed: true },
          { action: ORDERS_WRITE, allowed: false },
          { action: 'Microsoft.Compute/virtualMachines/read', allowed: true },
        ],
      })
    })

    it('explains a grant as principal → assignment → role → permission → scope', async () => {
      const scope = `${group}/providers/Contoso.Orders/orders/o-1`
      const res = await checkAccess(r.operatorToken, {
        principalId: caller.principalId,
        actions: [ORDERS_READ, ORDERS_WRITE],
        scope,
        explain: true,
      })
      assert.equal(res.status, 200, res.text)
      const [read, write] = res.json().value
      const assignment = ordersAssignment.split('/').pop()
      assert.equal(
        read.explanation,
        `principal ${caller.principalId} → role assignment ${assignment} at scope '${group.toLowerCase()}' → role 'Orders Reader' (${ordersRole}) → permission 'Contoso.Orders/orders/*' matches '${ORDERS_READ}' → allowed at scope '${scope}'`,
      )
      assert.equal(read.decision.decision, 'allowed')
      assert.deepEqual(read.decision.grant, {
        assignmentId: assignment,
        roleDefinitionId: ordersRole,
        roleName: 'Orders Reader',
        permission: 'Contoso.Orders/orders/*',
        scope: group.toLowerCase(),
      })
      assert.equal(write.allowed, false)
      assert.equal(write.decision.decision, 'notAllowed')
      assert.match(write.explanation, /role 'Orders Reader': .*not allowed at scope/)
    })

    it('decides data actions when asked to', async () => {
      const res = await checkAccess(r.operatorToken, {
        principalId: r.operatorId,
        actions: ['Microsoft.KeyVault/vaults/secrets/getSecret/action'],
        scope: group,
        dataAction: true,
      })
      assert.deepEqual(res.json().value, [
        { action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action', allowed: false },
      ])
    })

    it('needs roleAssignments/read at the scope to ask about another principal', async () => {
      const body = { principalId: caller.principalId, actions: [ORDERS_READ], scope: group }
      const res = await checkAccess(await service.token(), body)
      assert.equal(res.status, 403)
      assert.equal(res.json().error.code, 'AuthorizationFailed')
      assert.match(
        res.json().error.message,
        /'Microsoft\.Authorization\/roleAssignments\/read' over scope/,
      )
      await r.assign(group, ROLES.reader, service.principalId)
      const allowed = await checkAccess(await service.token(), body)
      assert.equal(allowed.status, 200, allowed.text)
      assert.equal(allowed.json().value[0].allowed, true)
    })

    it('refuses malformed requests and unauthenticated callers with ARM errors', async () => {
      const noGuid = await checkAccess(r.operatorToken, {
        principalId: 'nobody',
        actions: [ORDERS_READ],
        scope: group,
      })
      assert.equal(noGuid.status, 400)
      assert.equal(noGuid.json().error.code, 'InvalidPrincipalId')
      const noActions = await checkAccess(r.operatorToken, {
        principalId: caller.principalId,
        actions: [],
        scope: group,
      })
      assert.equal(noActions.status, 400)
      assert.equal(noActions.json().error.code, 'InvalidRequestContent')
      const badScope = await checkAccess(r.operatorToken, {
        principalId: caller.principalId,
        actions: [ORDERS_READ],
        scope: 'subscriptions/x',
      })
      assert.equal(badScope.status, 400)
      assert.equal(badScope.json().error.code, 'InvalidResourceId')
      const anonymous = await https(`${r.base}/keyless/v1/checkAccess`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
        ca: r.k.ca,
      })
      assert.equal(anonymous.status, 401)
      assert.equal(anonymous.json().error.code, 'AuthenticationFailed')
      const forged = await checkAccess('not-a-token', {})
      assert.equal(forged.status, 401)
      assert.equal(forged.json().error.code, 'InvalidAuthenticationToken')
    })

    it("serves the keyless/verify authorizer a user's service runs with its own identity", async () => {
      const authz = createAuthorizer({
        managementEndpoint: r.base,
        getToken: () => service.token(),
        ca: r.k.ca,
        cacheTtlMs: 0,
      })
      const scope = `${group}/providers/Contoso.Orders/orders/o-2`
      assert.equal(await authz.authorize(caller.principalId, ORDERS_APPROVE, scope), true)
      assert.equal(await authz.authorize(caller.principalId, ORDERS_WRITE, scope), false)
      const [explained] = await authz.explain(caller.principalId, [ORDERS_APPROVE], scope)
      assert.match(explained!.explanation!, /→ role 'Orders Reader'/)
      await r.client.roleAssignments.deleteById(ordersAssignment)
      assert.equal(
        await authz.authorize(caller.principalId, ORDERS_APPROVE, scope),
        false,
        'a removed assignment is refused at the next check',
      )
    })
  })
})
