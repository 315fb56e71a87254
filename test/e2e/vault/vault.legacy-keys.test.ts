// A data directory written before keys were derived from the master key: its secret values
// and backup blobs are JWEs under the raw master key, with no `kid`. They still read and
// restore through the stock SecretClient; what is written from then on is under the derived
// vault key, and a JWE relabelled as derived but sealed under the raw key is refused.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { SecretClient } from '@azure/keyvault-secrets'
import { CompactEncrypt, decodeProtectedHeader } from 'jose'
import Sqlite from 'better-sqlite3'
import { ROLES, startVaultEnv, type Vault, type VaultEnv } from './vault.config.js'

/** What the code before key derivation wrote: `dir` + A256GCM under the raw master key. */
async function legacySeal(master: Uint8Array, plaintext: string, header: Record<string, string>) {
  return new CompactEncrypt(new TextEncoder().encode(plaintext))
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', ...header })
    .encrypt(master)
}

describe('vault data sealed before key derivation', () => {
  let env: VaultEnv
  let vault: Vault
  let client: SecretClient
  let master: Buffer

  before(async () => {
    env = await startVaultEnv()
    vault = await env.createVault('kv-legacy')
    const app = await env.createWorkload('legacy-app')
    await env.assign(vault.id, ROLES.officer, app.principalId)
    client = env.client(vault.url, app)
    master = Buffer.from(
      readFileSync(join(env.k.dataDir, 'master.key'), 'utf8').trim(),
      'base64url',
    )
  })
  after(async () => env?.dispose())

  /** Rewrites the stored value of `name` as the old code stored it. */
  async function makeLegacy(name: string, value: string, kid?: string) {
    const row = (await env.store.vaultSecrets.listAllVersions(vault.id, name))[0]!
    const place = `${row.vault_key}|${row.name_key}|${row.version}`
    const header = { cty: 'kv-secret', kl: place, ...(kid ? { kid } : {}) }
    const sealed = await legacySeal(master, value, header)
    const db = new Sqlite(join(env.k.dataDir, 'keyless.db'))
    try {
      const changed = db
        .prepare('UPDATE vault_secrets SET value_enc = ? WHERE vault_key = ? AND version = ?')
        .run(sealed, row.vault_key, row.version)
      assert.equal(changed.changes, 1)
    } finally {
      db.close()
    }
  }

  it('reads a value sealed under the raw master key', async () => {
    const set = await client.setSecret('old-db', 'placeholder')
    const row = (await env.store.vaultSecrets.listAllVersions(vault.id, 'old-db'))[0]!
    assert.equal(decodeProtectedHeader(row.value_enc).kid, 'keyless/vault-secrets/v1')
    await makeLegacy('old-db', 'from-before')
    assert.equal((await client.getSecret('old-db')).value, 'from-before')
    assert.equal(
      (await client.getSecret('old-db', { version: set.properties.version })).value,
      'from-before',
    )
  })

  it('refuses a raw-key JWE that claims to be under the derived key', async () => {
    await client.setSecret('relabelled', 'placeholder')
    await makeLegacy('relabelled', 'forged', 'keyless/vault-secrets/v1')
    await assert.rejects(client.getSecret('relabelled'), (e: any) => e.statusCode === 500)
  })

  it('restores a backup blob sealed under the raw master key', async () => {
    const doc = {
      format: 'keyless-kv-secret-backup-1',
      name: 'restored-old',
      versions: [
        {
          version: 'a'.repeat(32),
          value: 'backed-up-before',
          contentType: null,
          tags: null,
          enabled: 1,
          nbf: null,
          exp: null,
          created: Date.now() - 1000,
          updated: Date.now() - 1000,
        },
      ],
    }
    const jwe = await legacySeal(master, JSON.stringify(doc), {
      cty: 'kv-secret-backup',
      kl: 'keyless',
    })
    await client.restoreSecretBackup(new Uint8Array(Buffer.from(jwe)))
    assert.equal((await client.getSecret('restored-old')).value, 'backed-up-before')
    const row = (await env.store.vaultSecrets.listAllVersions(vault.id, 'restored-old'))[0]!
    assert.equal(decodeProtectedHeader(row.value_enc).kid, 'keyless/vault-secrets/v1')
  })
})
