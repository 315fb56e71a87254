// RBAC on every operation, decided as Azure does (reference §5, §7; checklist 13): each
// operation's data action at the secret's scope (the vault's for lists), refusals as 403
// `Forbidden` / `ForbiddenByRbac` with Azure's message, and immediate effect: a deleted
// assignment or identity stops the very next request of a still-valid token.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { SecretClient } from '@azure/keyvault-secrets'
import { arm } from '../../helpers/arm.js'
import {
  ROLES,
  startVaultEnv,
  vaultRequest,
  withApi,
  type Vault,
  type VaultEnv,
  type Workload,
} from './vault.config.js'

const ACTION = 'Microsoft.KeyVault/vaults/secrets'

function forbidden(action: string, resource: string) {
  return (e: any) => {
    assert.equal(e.statusCode, 403, e.message)
    assert.equal(e.code, 'Forbidden')
    // The SDK's list pager keeps only the status and code of an error (the raw-HTTP test below
    // reads a list's body); every other operation keeps Key Vault's error in `details`.
    if (e.message.startsWith('Pagination failed')) return true
    assert.equal(e.details?.error?.innerError?.code, 'ForbiddenByRbac')
    assert.match(e.message, /^Caller is not authorized to perform action on resource\./)
    assert.ok(e.message.includes(`Action: '${action}'`), e.message)
    assert.ok(e.message.includes(`Resource: '${resource.toLowerCase()}'`), e.message)
    return true
  }
}

describe('vault RBAC', () => {
  let env: VaultEnv
  let vault: Vault
  let officer: SecretClient

  const client = async (name: string, role?: string, scope?: string) => {
    const w = await env.createWorkload(name)
    if (role) await env.assign(scope ?? vault.id, role, w.principalId)
    return { w, c: env.client(vault.url, w) }
  }

  before(async () => {
    env = await startVaultEnv()
    vault = await env.createVault('kv-rbac')
    officer = (await client('rbac-officer', ROLES.officer)).c
    await officer.setSecret('shared', 'value')
    await officer.setSecret('other', 'value')
    await officer.setSecret('deleted-one', 'value')
    await (await officer.beginDeleteSecret('deleted-one')).pollUntilDone()
  })
  after(async () => env?.dispose())

  it('refuses every operation without a role, naming its data action and scope', async () => {
    const { c } = await client('rbac-nobody')
    const secret = `${vault.id}/secrets/shared`
    const cases: [string, () => Promise<unknown>, string, string][] = [
      ['getSecret', () => c.getSecret('shared'), 'getSecret/action', secret],
      ['setSecret', () => c.setSecret('shared', 'x'), 'setSecret/action', secret],
      [
        'updateSecretProperties',
        () => c.updateSecretProperties('shared', '', { enabled: false }),
        'update/action',
        secret,
      ],
      [
        'listPropertiesOfSecrets',
        () => c.listPropertiesOfSecrets().next(),
        'readMetadata/action',
        vault.id,
      ],
      [
        'listPropertiesOfSecretVersions',
        () => c.listPropertiesOfSecretVersions('shared').next(),
        'readMetadata/action',
        secret,
      ],
      ['beginDeleteSecret', () => c.beginDeleteSecret('shared'), 'delete', secret],
      [
        'getDeletedSecret',
        () => c.getDeletedSecret('deleted-one'),
        'readMetadata/action',
        `${vault.id}/secrets/deleted-one`,
      ],
      ['listDeletedSecrets', () => c.listDeletedSecrets().next(), 'readMetadata/action', vault.id],
      [
        'purgeDeletedSecret',
        () => c.purgeDeletedSecret('deleted-one'),
        'purge/action',
        `${vault.id}/secrets/deleted-one`,
      ],
      ['backupSecret', () => c.backupSecret('shared'), 'backup/action', secret],
    ]
    for (const [name, op, action, resource] of cases) {
      await assert.rejects(op(), forbidden(`${ACTION}/${action}`, resource), name)
    }
  })

  it('refuses recover and restore without a role', async () => {
    const { c } = await client('rbac-nobody-2')
    const recover = await c.beginRecoverDeletedSecret('deleted-one').catch((e) => e)
    assert.equal(recover.statusCode, 403)
    assert.ok(recover.message.includes(`Action: '${ACTION}/recover/action'`), recover.message)
    const blob = await officer.backupSecret('other')
    await assert.rejects(
      c.restoreSecretBackup(blob!),
      forbidden(`${ACTION}/restore/action`, `${vault.id}/secrets/other`),
    )
  })

  it('answers a list without a role with innererror ForbiddenByRbac on the wire', async () => {
    const w = await env.createWorkload('rbac-raw-list')
    const res = await vaultRequest(withApi(`${vault.url}secrets`), {
      token: await env.token(w),
      ca: env.k.ca,
    })
    assert.equal(res.status, 403)
    assert.equal(res.json().error.code, 'Forbidden')
    assert.deepEqual(res.json().error.innererror, { code: 'ForbiddenByRbac' })
    assert.ok(res.json().error.message.includes(`Resource: '${vault.id.toLowerCase()}'`))
    assert.match(res.headers['content-type'] as string, /^application\/json/)
  })

  it('writes Azure’s full ForbiddenByRbac message', async () => {
    const { w, c } = await client('rbac-message')
    const e: any = await c.getSecret('shared').catch((x) => x)
    const lines = e.message.split('\r\n')
    assert.deepEqual(lines, [
      'Caller is not authorized to perform action on resource.',
      'If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.',
      `Caller: appid=${w.clientId};oid=${w.principalId};iss=${env.k.endpoints.issuer}`,
      `Action: '${ACTION}/getSecret/action'`,
      `Resource: '${`${vault.id}/secrets/shared`.toLowerCase()}'`,
      'Assignment: (not found)',
      'DenyAssignmentId: null',
      "DecisionReason: 'DeniedWithNoValidRBAC' ",
      'Vault: kv-rbac;location=eastus',
      '',
    ])
  })

  it('refuses secret values to Reader on the vault', async () => {
    const { c: reader } = await client('rbac-reader', ROLES.reader)
    await assert.rejects(
      reader.getSecret('shared'),
      forbidden(`${ACTION}/getSecret/action`, `${vault.id}/secrets/shared`),
    )
    await assert.rejects(
      reader.listPropertiesOfSecrets().next(),
      forbidden(`${ACTION}/readMetadata/action`, vault.id),
    )
  })

  // Owner grants every action and no data action. The grant is shown to be in force (the same
  // identity reads the vault over ARM), so the refusal is the data-action rule's, not a missing
  // assignment's.
  it('refuses secret values to Owner of the subscription', async () => {
    const sub = `/subscriptions/${env.k.endpoints.subscriptionId}`
    const { w, c: owner } = await client('rbac-owner', ROLES.owner, sub)
    const management = await env.token(w, 'https://management.azure.com')
    const read = await arm(env.k, management)('GET', `${vault.id}?api-version=2023-07-01`)
    assert.equal(read.status, 200, read.text)
    assert.equal(read.json().id, vault.id)
    const e: any = await owner.getSecret('shared').catch((x) => x)
    forbidden(`${ACTION}/getSecret/action`, `${vault.id}/secrets/shared`)(e)
    assert.ok(e.message.includes('Assignment: (not found)'), e.message)
    await assert.rejects(
      owner.listPropertiesOfSecrets().next(),
      forbidden(`${ACTION}/readMetadata/action`, vault.id),
    )
  })

  it('lets Key Vault Reader list metadata but not read values', async () => {
    const { c } = await client('rbac-kv-reader', ROLES.kvReader)
    const names = []
    for await (const p of c.listPropertiesOfSecrets()) names.push(p.name)
    assert.ok(names.includes('shared'))
    await assert.rejects(
      c.getSecret('shared'),
      forbidden(`${ACTION}/getSecret/action`, `${vault.id}/secrets/shared`),
    )
  })

  it('lets Secrets User get but not set, update or delete', async () => {
    const { c } = await client('rbac-user', ROLES.user)
    assert.equal((await c.getSecret('shared')).value, 'value')
    const secret = `${vault.id}/secrets/shared`
    await assert.rejects(
      c.setSecret('shared', 'x'),
      forbidden(`${ACTION}/setSecret/action`, secret),
    )
    await assert.rejects(
      c.updateSecretProperties('shared', '', { enabled: false }),
      forbidden(`${ACTION}/update/action`, secret),
    )
    await assert.rejects(c.beginDeleteSecret('shared'), forbidden(`${ACTION}/delete`, secret))
  })

  it('scopes an assignment on one secret to that secret', async () => {
    const { c } = await client('rbac-one-secret', ROLES.user, `${vault.id}/secrets/shared`)
    assert.equal((await c.getSecret('shared')).value, 'value')
    await assert.rejects(
      c.getSecret('other'),
      forbidden(`${ACTION}/getSecret/action`, `${vault.id}/secrets/other`),
    )
  })

  it('inherits an assignment from the resource group', async () => {
    const { c } = await client('rbac-group', ROLES.user, env.rg)
    assert.equal((await c.getSecret('shared')).value, 'value')
  })

  it('refuses the same unexpired token within a second of the assignment’s deletion', async () => {
    const w: Workload = await env.createWorkload('rbac-revoked')
    const assignment = await env.assign(vault.id, ROLES.user, w.principalId)
    const token = await env.token(w)
    const get = () => vaultRequest(withApi(`${vault.url}secrets/shared`), { token, ca: env.k.ca })
    assert.equal((await get()).status, 200)
    await env.unassign(assignment)
    const start = Date.now()
    let res = await get()
    while (res.status === 200 && Date.now() - start < 1000) res = await get()
    assert.equal(res.status, 403, `still allowed ${Date.now() - start} ms after the deletion`)
    assert.equal(res.json().error.innererror.code, 'ForbiddenByRbac')
  })

  it('refuses the same unexpired token within a second of the identity’s deletion', async () => {
    const w = await env.createWorkload('rbac-deleted-app')
    await env.assign(vault.id, ROLES.user, w.principalId)
    const token = await env.token(w)
    const get = () => vaultRequest(withApi(`${vault.url}secrets/shared`), { token, ca: env.k.ca })
    assert.equal((await get()).status, 200)
    await env.deleteWorkload(w.id)
    const start = Date.now()
    let res = await get()
    while (res.status === 200 && Date.now() - start < 1000) res = await get()
    assert.equal(res.status, 401, `still allowed ${Date.now() - start} ms after the deletion`)
    assert.equal(res.json().error.code, 'Unauthorized')
    assert.match(res.json().error.message, /no longer exists/)
  })
})
