// The library's authorizer asks Keyless's checkAccess endpoint, as a user's service would: real
// decisions from the live RBAC index, explanations, the short cache and its invalidation.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { createAuthorizer, KeylessVerifyError } from '../../../src/verify/index.js'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { arm } from '../../helpers/arm.js'
import { operatorToken } from '../../helpers/tokens.js'

const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
const AUTHZ = 'api-version=2022-04-01'

describe('keyless/verify authorizer', () => {
  let k: KeylessProcess
  let call: ReturnType<typeof arm>
  let rg: string
  let principalId: string
  let token: string

  before(async () => {
    k = await startKeyless()
    token = await operatorToken(k)
    call = arm(k, token)
    rg = `/subscriptions/${k.endpoints.subscriptionId}/resourceGroups/authorizer-rg`
    await call('PUT', `${rg}?api-version=2025-04-01`, { location: 'eastus' })
    const id = await call(
      'PUT',
      `${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/svc?api-version=2023-01-31`,
      { location: 'eastus' },
    )
    principalId = id.json().properties.principalId
  })
  after(() => k?.dispose())

  const authorizer = (cacheTtlMs?: number) =>
    createAuthorizer({
      managementEndpoint: k.endpoints.managementEndpoint,
      getToken: async () => token,
      ca: k.ca,
      cacheTtlMs,
    })

  async function assign(role: string, scope: string): Promise<string> {
    const id = `${scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`
    const res = await call('PUT', `${id}?${AUTHZ}`, {
      properties: { roleDefinitionId: role, principalId, principalType: 'ServicePrincipal' },
    })
    assert.equal(res.status, 201, res.text)
    return id
  }

  it('decides with the live RBAC index and explains the chain', async () => {
    const a = authorizer()
    const read = 'Microsoft.Compute/virtualMachines/read'
    const vm = `${rg}/providers/Microsoft.Compute/virtualMachines/vm1`
    assert.equal(await a.authorize(principalId, read, vm), false)
    const assignment = await assign(READER, rg)
    a.invalidate()
    assert.equal(await a.authorize(principalId, read, vm), true)
    assert.equal(
      await a.authorize(principalId, 'Microsoft.Compute/virtualMachines/write', vm),
      false,
    )

    const [granted, refused] = await a.explain(
      principalId,
      [read, 'Microsoft.Compute/virtualMachines/delete'],
      vm,
    )
    assert.equal(granted!.allowed, true)
    assert.match(granted!.explanation!, new RegExp(principalId))
    assert.match(granted!.explanation!, /Reader/)
    assert.match(granted!.explanation!, /\*\/read/)
    assert.equal(refused!.allowed, false)
    assert.ok(refused!.explanation, 'a refusal is explained too')

    // Without invalidate(), a removed assignment stops counting once the cache entry expires.
    const del = await call('DELETE', `${assignment}?${AUTHZ}`)
    assert.equal(del.status, 200, del.text)
    const started = Date.now()
    while (await a.authorize(principalId, read, vm)) {
      assert.ok(Date.now() - started < 3000, 'still allowed 3 s after the assignment was deleted')
      await sleep(50)
    }
    assert.ok(Date.now() - started <= 1500, `took ${Date.now() - started} ms`)
  })

  it('reports Keyless refusals and outages as KeylessVerifyError', async () => {
    const stranger = createAuthorizer({
      managementEndpoint: k.endpoints.managementEndpoint,
      getToken: async () => 'not-a-token',
      ca: k.ca,
    })
    await assert.rejects(stranger.authorize(principalId, 'x/read', rg), KeylessVerifyError)
    const nowhere = createAuthorizer({
      managementEndpoint: 'https://127.0.0.1:1',
      getToken: async () => token,
      ca: k.ca,
    })
    await assert.rejects(nowhere.authorize(principalId, 'x/read', rg), {
      code: 'ERR_KEYLESS_UNAVAILABLE',
    })
  })
})
