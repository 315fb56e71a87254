import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { Caller } from './authenticate.js'
import { authorize, operatorOnly, type CheckAccess } from './authorize.js'

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

describe('authorize', () => {
  it('lets the operator do everything, in any casing of its object id', async () => {
    await authorize(caller('AAAA-1'), { primary, linked }, operatorOnly('aaaa-1'))
  })

  it("denies anyone else with Azure's AuthorizationFailed message", async () => {
    await assert.rejects(authorize(caller('b'), { primary, linked }, operatorOnly('a')), {
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
