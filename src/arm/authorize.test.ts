import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { Caller } from './authenticate.js'
import { authorize, reserveForOperator, type CheckAccess } from './authorize.js'

const caller = (objectId: string): Caller => ({
  objectId,
  appId: 'app',
  tenantId: 't',
  claims: {} as never,
})
const primary = {
  action: 'Microsoft.Compute/virtualMachines/write',
  scope: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm',
}
const linked = [
  {
    action: 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action',
    scope:
      '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id',
  },
]

const everything: CheckAccess = () => true
const nothing: CheckAccess = () => false

describe('authorize', () => {
  it('passes when every check is granted', async () => {
    await authorize(caller('a'), { primary, linked }, everything)
  })

  it("denies with Azure's AuthorizationFailed message", async () => {
    await assert.rejects(authorize(caller('b'), { primary, linked }, nothing), {
      status: 403,
      code: 'AuthorizationFailed',
      message: `The client 'b' with object id 'b' does not have authorization to perform action '${primary.action}' over scope '${primary.scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    })
  })

  it('answers LinkedAuthorizationFailed when only a linked check fails', async () => {
    const onlyPrimary: CheckAccess = (_c, check) => check.action === primary.action
    await assert.rejects(authorize(caller('b'), { primary, linked }, onlyPrimary), (e: any) => {
      assert.equal(e.code, 'LinkedAuthorizationFailed')
      assert.equal(e.status, 403)
      assert.match(
        e.message,
        /does not have permission to perform action\(s\) 'Microsoft\.ManagedIdentity\/userAssignedIdentities\/assign\/action' on the linked scope\(s\)/,
      )
      return true
    })
  })
})

describe('authorize without a primary check', () => {
  it('lets any caller through when nothing is required (the permissions API)', async () => {
    await authorize(caller('b'), { linked: [] }, nothing)
  })

  it('still refuses a failed linked check, as AuthorizationFailed', async () => {
    await assert.rejects(authorize(caller('b'), { linked }, nothing), {
      code: 'AuthorizationFailed',
      status: 403,
    })
  })
})

describe('reserveForOperator', () => {
  const deny = { action: 'Microsoft.Authorization/denyAssignments/write', scope: '/' }
  const check = reserveForOperator(
    'AAAA-1',
    ['microsoft.authorization/denyassignments/WRITE'],
    everything,
  )

  it('grants reserved actions to the operator alone, in any casing, whatever the roles say', async () => {
    assert.equal(await check(caller('aaaa-1'), deny), true)
    assert.equal(await check(caller('b'), deny), false)
    const denyAll = reserveForOperator('aaaa-1', [deny.action], nothing)
    assert.equal(await denyAll(caller('AAAA-1'), deny), true)
  })

  it('leaves every other action to the wrapped decision', async () => {
    assert.equal(await check(caller('b'), primary), true)
    const none = reserveForOperator('aaaa-1', [deny.action], nothing)
    assert.equal(await none(caller('aaaa-1'), primary), false)
  })
})
