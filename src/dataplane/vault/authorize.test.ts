import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { VerifiedClaims } from '../../common/access-token.js'
import { authorizeVaultAction, forbiddenMessage, SecretActions } from './authorize.js'
import type { VaultTarget } from './vaults.js'

const vault: VaultTarget = {
  id: '/subscriptions/S/resourceGroups/RG/providers/Microsoft.KeyVault/vaults/kv1',
  key: '/subscriptions/s/resourcegroups/rg/providers/microsoft.keyvault/vaults/kv1',
  name: 'kv1',
  location: 'eastus',
  uri: 'https://127.0.0.1:1/',
  retentionDays: 90,
  purgeProtection: false,
}
const caller = { appid: 'app', oid: 'obj', iss: 'https://sts/t/' } as VerifiedClaims

describe('vault authorization', () => {
  it('writes Azure’s ForbiddenByRbac message, resource lower-cased', () => {
    const message = forbiddenMessage(
      caller,
      SecretActions.getSecret,
      `${vault.id}/secrets/Db`,
      vault,
      {
        allowed: false,
        reason: 'DeniedWithNoValidRBAC',
      },
    )
    assert.equal(
      message,
      'Caller is not authorized to perform action on resource.\r\n' +
        'If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\n' +
        'Caller: appid=app;oid=obj;iss=https://sts/t/\r\n' +
        "Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'\r\n" +
        `Resource: '${vault.key}/secrets/db'\r\n` +
        'Assignment: (not found)\r\n' +
        'DenyAssignmentId: null\r\n' +
        "DecisionReason: 'DeniedWithNoValidRBAC' \r\n" +
        'Vault: kv1;location=eastus\r\n',
    )
  })

  it('names the deny assignment that refused the action', () => {
    const message = forbiddenMessage(caller, SecretActions.delete, vault.id, vault, {
      allowed: false,
      assignmentId: 'a1',
      denyAssignmentId: 'd1',
      reason: 'DeniedWithDenyAssignment',
    })
    assert.match(
      message,
      /Assignment: a1\r\nDenyAssignmentId: d1\r\nDecisionReason: 'DeniedWithDenyAssignment' /,
    )
  })

  it('asks the RBAC engine for the caller’s object id, action and scope', async () => {
    const asked: string[][] = []
    const o = {
      authorize: (p: string, a: string, s: string) => {
        asked.push([p, a, s])
        return { allowed: a === SecretActions.getSecret, reason: 'x' }
      },
    }
    await authorizeVaultAction(o, caller, vault, SecretActions.getSecret, 'scope')
    await assert.rejects(authorizeVaultAction(o, caller, vault, SecretActions.setSecret, 'scope'), {
      status: 403,
      code: 'Forbidden',
      extra: { innerCode: 'ForbiddenByRbac' },
    })
    assert.deepEqual(asked, [
      ['obj', SecretActions.getSecret, 'scope'],
      ['obj', SecretActions.setSecret, 'scope'],
    ])
  })
})
