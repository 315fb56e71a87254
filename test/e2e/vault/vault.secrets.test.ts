// The real SecretClient through every secret operation, as a managed identity with Key Vault
// Secrets Officer on the vault: set (a new version each time), get latest and by version,
// update properties, list and list versions with paging, soft delete with its pollers, get and
// list deleted, recover, purge, backup and restore, and Azure's answers for disabled, expired,
// missing and deleted-but-recoverable secrets.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { SecretClient } from '@azure/keyvault-secrets'
import { ROLES, startVaultEnv, type Vault, type VaultEnv, type Workload } from './vault.config.js'

const rejectsWith = (status: number, code: string, inner?: string) => (e: any) => {
  assert.equal(e.statusCode, status, e.message)
  assert.equal(e.code, code, e.message)
  if (inner) assert.equal(e.details?.error?.innerError?.code, inner)
  return true
}

describe('vault secrets through the SDK', () => {
  let env: VaultEnv
  let vault: Vault
  let app: Workload
  let client: SecretClient

  before(async () => {
    env = await startVaultEnv()
    vault = await env.createVault('kv-secrets')
    app = await env.createWorkload('secrets-app')
    await env.assign(vault.id, ROLES.officer, app.principalId)
    client = env.client(vault.url, app)
  })
  after(async () => env?.dispose())

  it('sets a secret and gets it back, latest and by version, with root-based ids', async () => {
    const set = await client.setSecret('db-pass', 's3cr3t', {
      contentType: 'text/plain',
      tags: { app: 'x' },
    })
    assert.equal(set.value, 's3cr3t')
    assert.equal(set.name, 'db-pass')
    assert.match(set.properties.version!, /^[0-9a-f]{32}$/)
    assert.equal(set.properties.vaultUrl, vault.url.replace(/\/$/, ''))
    assert.equal(set.properties.id, `${vault.url}secrets/db-pass/${set.properties.version}`)
    assert.equal(set.properties.enabled, true)
    assert.equal(set.properties.recoveryLevel, 'Recoverable+Purgeable')
    assert.equal(set.properties.recoverableDays, 90)
    assert.equal(set.properties.createdOn!.getTime() % 1000, 0)

    const latest = await client.getSecret('db-pass')
    assert.equal(latest.value, 's3cr3t')
    assert.equal(latest.properties.contentType, 'text/plain')
    assert.deepEqual(latest.properties.tags, { app: 'x' })
    const byVersion = await client.getSecret('DB-PASS', { version: set.properties.version! })
    assert.equal(byVersion.value, 's3cr3t')
  })

  it('creates a new version on each set; latest is the newest', async () => {
    const v1 = await client.setSecret('rotating', 'one')
    const v2 = await client.setSecret('rotating', 'two')
    assert.notEqual(v1.properties.version, v2.properties.version)
    assert.equal((await client.getSecret('rotating')).value, 'two')
    assert.equal(
      (await client.getSecret('rotating', { version: v1.properties.version! })).value,
      'one',
    )
    const versions = []
    for await (const p of client.listPropertiesOfSecretVersions('rotating')) versions.push(p)
    assert.deepEqual(
      versions.map((p) => p.version).sort(),
      [v1.properties.version, v2.properties.version].sort(),
    )
    assert.ok(versions.every((p) => p.id!.endsWith(`/secrets/rotating/${p.version}`)))
  })

  it('updates properties of the latest or one version without changing the value', async () => {
    const v1 = await client.setSecret('props', 'value-1')
    const expires = new Date(Math.floor(Date.now() / 1000 + 3600) * 1000)
    const notBefore = new Date(Math.floor(Date.now() / 1000 - 60) * 1000)
    const updated = await client.updateSecretProperties('props', v1.properties.version!, {
      contentType: 'application/json',
      tags: { env: 'test' },
      expiresOn: expires,
      notBefore,
    })
    assert.equal(updated.contentType, 'application/json')
    assert.deepEqual(updated.tags, { env: 'test' })
    assert.equal(updated.expiresOn!.getTime(), expires.getTime())
    assert.equal(updated.notBefore!.getTime(), notBefore.getTime())
    const got = await client.getSecret('props')
    assert.equal(got.value, 'value-1')
    assert.equal(got.properties.contentType, 'application/json')
  })

  it('refuses to get a disabled secret (403 SecretDisabled) and serves it again when enabled', async () => {
    const s = await client.setSecret('switch', 'on', { enabled: false })
    assert.equal(s.properties.enabled, false)
    await assert.rejects(
      client.getSecret('switch'),
      rejectsWith(403, 'Forbidden', 'SecretDisabled'),
    )
    await client.updateSecretProperties('switch', s.properties.version!, { enabled: true })
    assert.equal((await client.getSecret('switch')).value, 'on')
  })

  it('returns expired and not-yet-valid secrets, as Azure does', async () => {
    await client.setSecret('old', 'past', { expiresOn: new Date(Date.now() - 86_400_000) })
    await client.setSecret('future', 'later', { notBefore: new Date(Date.now() + 86_400_000) })
    assert.equal((await client.getSecret('old')).value, 'past')
    assert.equal((await client.getSecret('future')).value, 'later')
  })

  it('answers 404 SecretNotFound for a missing name or version', async () => {
    await assert.rejects(client.getSecret('nope'), rejectsWith(404, 'SecretNotFound'))
    await client.setSecret('has-one', 'x')
    await assert.rejects(
      client.getSecret('has-one', { version: '0'.repeat(32) }),
      rejectsWith(404, 'SecretNotFound'),
    )
  })

  it('answers 400 BadParameter for a name outside [0-9a-zA-Z-]{1,127}', async () => {
    await assert.rejects(client.setSecret('bad_name', 'x'), rejectsWith(400, 'BadParameter'))
    await assert.rejects(client.setSecret('a'.repeat(128), 'x'), rejectsWith(400, 'BadParameter'))
  })

  it('lists the secrets page by page with absolute nextLinks, values left out', async () => {
    const names = ['page-a', 'page-b', 'page-c', 'page-d', 'page-e']
    for (const n of names) await client.setSecret(n, n)
    const pages: string[][] = []
    for await (const page of client.listPropertiesOfSecrets().byPage({ maxPageSize: 2 })) {
      pages.push(page.map((p) => p.name))
      assert.ok(page.every((p) => (p as any).value === undefined))
      assert.ok(page.length <= 2)
    }
    assert.ok(pages.length >= 3)
    const all = pages.flat()
    for (const n of names) assert.ok(all.includes(n), n)
    assert.equal(new Set(all).size, all.length)
  })

  it('soft-deletes with the delete poller, then gets, lists and recovers the deleted secret', async () => {
    await client.setSecret('gone', 'soon')
    const poller = await client.beginDeleteSecret('gone')
    const deleted = await poller.pollUntilDone()
    assert.equal(deleted.name, 'gone')
    assert.equal(deleted.recoveryId, `${vault.url}deletedsecrets/gone`)
    assert.ok(deleted.deletedOn instanceof Date)
    const days = (deleted.scheduledPurgeDate!.getTime() - deleted.deletedOn!.getTime()) / 86_400_000
    assert.ok(Math.abs(days - 90) < 0.01, String(days))

    await assert.rejects(client.getSecret('gone'), rejectsWith(404, 'SecretNotFound'))
    const got = await client.getDeletedSecret('gone')
    assert.equal(got.properties.recoveryId, deleted.recoveryId)
    const listed = []
    for await (const d of client.listDeletedSecrets()) listed.push(d.name)
    assert.ok(listed.includes('gone'))
    const live = []
    for await (const p of client.listPropertiesOfSecrets()) live.push(p.name)
    assert.ok(!live.includes('gone'))

    await assert.rejects(
      client.setSecret('gone', 'again'),
      rejectsWith(409, 'Conflict', 'ObjectIsDeletedButRecoverable'),
    )
    const recover = await client.beginRecoverDeletedSecret('gone')
    const recovered = await recover.pollUntilDone()
    assert.equal(recovered.name, 'gone')
    assert.equal((await client.getSecret('gone')).value, 'soon')
    await assert.rejects(client.getDeletedSecret('gone'), rejectsWith(404, 'SecretNotFound'))
  })

  it('purges a deleted secret (204), after which the name is free', async () => {
    await client.setSecret('purge-me', 'x')
    await (await client.beginDeleteSecret('purge-me')).pollUntilDone()
    await client.purgeDeletedSecret('purge-me')
    await assert.rejects(client.getDeletedSecret('purge-me'), rejectsWith(404, 'SecretNotFound'))
    await assert.rejects(client.purgeDeletedSecret('purge-me'), rejectsWith(404, 'SecretNotFound'))
    assert.equal((await client.setSecret('purge-me', 'fresh')).value, 'fresh')
  })

  it('backs up every version and restores them after a purge, or refuses while the name is taken', async () => {
    const v1 = await client.setSecret('kept', 'first')
    const v2 = await client.setSecret('kept', 'second', { tags: { t: '1' } })
    const blob = await client.backupSecret('kept')
    assert.ok(blob instanceof Uint8Array && blob.length > 0)
    await assert.rejects(client.restoreSecretBackup(blob!), rejectsWith(409, 'Conflict'))
    await (await client.beginDeleteSecret('kept')).pollUntilDone()
    await assert.rejects(
      client.restoreSecretBackup(blob!),
      rejectsWith(409, 'Conflict', 'ObjectIsDeletedButRecoverable'),
    )
    await client.purgeDeletedSecret('kept')
    const restored = await client.restoreSecretBackup(blob!)
    assert.equal(restored.name, 'kept')
    assert.equal(restored.version, v2.properties.version)
    assert.equal((await client.getSecret('kept')).value, 'second')
    assert.equal(
      (await client.getSecret('kept', { version: v1.properties.version! })).value,
      'first',
    )
    await assert.rejects(
      client.restoreSecretBackup(new Uint8Array([1, 2, 3])),
      rejectsWith(400, 'BadParameter'),
    )
  })

  it('restores a backup into another vault of the installation', async () => {
    await client.setSecret('moving', 'along')
    const blob = await client.backupSecret('moving')
    const other = await env.createVault('kv-secrets-2')
    await env.assign(other.id, ROLES.officer, app.principalId)
    const otherClient = env.client(other.url, app)
    await otherClient.restoreSecretBackup(blob!)
    assert.equal((await otherClient.getSecret('moving')).value, 'along')
  })

  it('honours the vault soft-delete retention and purge protection', async () => {
    const strict = await env.createVault('kv-strict', {
      softDeleteRetentionInDays: 7,
      enablePurgeProtection: true,
    })
    await env.assign(strict.id, ROLES.officer, app.principalId)
    const c = env.client(strict.url, app)
    const s = await c.setSecret('locked', 'x')
    assert.equal(s.properties.recoveryLevel, 'CustomizedRecoverable')
    assert.equal(s.properties.recoverableDays, 7)
    const d = await (await c.beginDeleteSecret('locked')).pollUntilDone()
    const days = (d.scheduledPurgeDate!.getTime() - d.deletedOn!.getTime()) / 86_400_000
    assert.ok(Math.abs(days - 7) < 0.01, String(days))
    await assert.rejects(c.purgeDeletedSecret('locked'), rejectsWith(403, 'Forbidden'))
  })
})
