import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import type { NewResourceRow, Store, VaultKeyRow, VaultSecretRow } from '../index.js'
import { DANGLING, DUPLICATE, T0, resourceRow, seedHierarchy } from './fixtures.js'

const KV = 'Microsoft.KeyVault/vaults'

async function vault(store: Store): Promise<NewResourceRow> {
  const h = await seedHierarchy(store)
  const row = resourceRow(h, KV, `kv-${randomBytes(4).toString('hex')}`)
  await store.resources.create(row)
  return row
}

function secret(
  vaultKey: string,
  name: string,
  createdAt: number,
  extra: Partial<VaultSecretRow> = {},
): VaultSecretRow {
  return {
    vault_key: vaultKey,
    name_key: name.toLowerCase(),
    name,
    version: randomBytes(16).toString('hex'),
    value_enc: 'eyJhbGciOiJkaXIifQ..iv.ct.tag',
    content_type: null,
    tags: null,
    enabled: 1,
    nbf: null,
    exp: null,
    created_at: createdAt,
    updated_at: createdAt,
    deleted_at: null,
    scheduled_purge_at: null,
    ...extra,
  }
}

const names = (rows: VaultSecretRow[]) => rows.map((r) => r.name)

export function describeVault(store: () => Store): void {
  describe('vault secrets', () => {
    it('creates versions and fetches one or the newest in any name casing', async () => {
      const kv = await vault(store())
      const v1 = secret(kv.key, 'Db-Pass', T0)
      const v2 = secret(kv.key, 'Db-Pass', T0 + 1, { tags: '{"a":"b"}', content_type: 'text' })
      await store().vaultSecrets.create(v1)
      await store().vaultSecrets.create(v2)
      assert.deepEqual(await store().vaultSecrets.fetch(kv.id, 'DB-PASS', v1.version), v1)
      assert.deepEqual(await store().vaultSecrets.fetchLatest(kv.key, 'db-pass'), v2)
      assert.equal(await store().vaultSecrets.fetchLatest(kv.key, 'other'), undefined)
      assert.equal(await store().vaultSecrets.fetch(kv.key, 'db-pass', 'f'.repeat(32)), undefined)
      await assert.rejects(store().vaultSecrets.create(v1), DUPLICATE)
    })

    it('refuses a secret of a vault that does not exist', async () => {
      await assert.rejects(
        store().vaultSecrets.create(secret('/subscriptions/x/kv/none', 'a', T0)),
        DANGLING,
      )
    })

    it('lists the newest version of each live or deleted name, by name, in pages', async () => {
      const kv = await vault(store())
      for (const [i, name] of ['c', 'a', 'b', 'd'].entries()) {
        await store().vaultSecrets.create(secret(kv.key, name, T0 + i))
        await store().vaultSecrets.create(secret(kv.key, name, T0 + 10 + i))
      }
      await store().vaultSecrets.setDeleted(kv.key, 'd', T0 + 50, T0 + 100)
      const first = await store().vaultSecrets.listLatest(kv.key, { deleted: false }, { limit: 2 })
      assert.deepEqual(names(first.items), ['a', 'b'])
      assert.ok(first.items.every((r) => r.created_at >= T0 + 10))
      const second = await store().vaultSecrets.listLatest(
        kv.key,
        { deleted: false },
        { limit: 2, after: first.next },
      )
      assert.deepEqual(names(second.items), ['c'])
      assert.equal(second.next, undefined)
      const deleted = await store().vaultSecrets.listLatest(kv.key, { deleted: true })
      assert.deepEqual(names(deleted.items), ['d'])
    })

    it('lists every version of a name by version, and all of them oldest first', async () => {
      const kv = await vault(store())
      const rows = [0, 1, 2].map((i) => secret(kv.key, 'n', T0 + i))
      for (const r of rows) await store().vaultSecrets.create(r)
      const page = await store().vaultSecrets.listVersions(kv.key, 'N', { limit: 2 })
      const rest = await store().vaultSecrets.listVersions(kv.key, 'N', { after: page.next })
      const byVersion = rows.map((r) => r.version).sort()
      assert.deepEqual(
        [...page.items, ...rest.items].map((r) => r.version),
        byVersion,
      )
      assert.deepEqual(
        (await store().vaultSecrets.listAllVersions(kv.key, 'n')).map((r) => r.version),
        rows.map((r) => r.version),
      )
    })

    it('updates one version and soft-deletes, recovers and purges every version', async () => {
      const kv = await vault(store())
      const a = secret(kv.key, 'x', T0)
      const b = secret(kv.key, 'x', T0 + 1)
      await store().vaultSecrets.create(a)
      await store().vaultSecrets.create(b)
      const s = store().vaultSecrets
      assert.equal(await s.update(kv.key, 'X', a.version, { enabled: 0, updated_at: T0 + 5 }), true)
      assert.equal(await s.update(kv.key, 'x', 'f'.repeat(32), { enabled: 0 }), false)
      assert.equal(await s.update(kv.key, 'x', a.version, {}), true)
      assert.equal((await s.fetch(kv.key, 'x', a.version))?.enabled, 0)
      assert.equal((await s.fetch(kv.key, 'x', b.version))?.enabled, 1)
      assert.equal(await s.setDeleted(kv.key, 'x', T0 + 10, T0 + 20), 2)
      assert.equal((await s.fetchLatest(kv.key, 'x'))?.scheduled_purge_at, T0 + 20)
      assert.equal(await s.setDeleted(kv.key, 'x', null, null), 2)
      assert.equal((await s.fetchLatest(kv.key, 'x'))?.deleted_at, null)
      assert.equal(await s.delete(kv.key, 'x'), 2)
      assert.equal(await s.fetchLatest(kv.key, 'x'), undefined)
    })

    it('prunes deleted secrets once their purge date has come', async () => {
      const kv = await vault(store())
      await store().vaultSecrets.create(secret(kv.key, 'due', T0, { deleted_at: T0 }))
      await store().vaultSecrets.setDeleted(kv.key, 'due', T0, T0 + 100)
      await store().vaultSecrets.create(secret(kv.key, 'later', T0))
      await store().vaultSecrets.setDeleted(kv.key, 'later', T0, T0 + 200)
      await store().vaultSecrets.create(secret(kv.key, 'live', T0))
      assert.ok((await store().vaultSecrets.prune(T0 + 100)) >= 1)
      assert.equal(await store().vaultSecrets.fetchLatest(kv.key, 'due'), undefined)
      assert.ok(await store().vaultSecrets.fetchLatest(kv.key, 'later'))
      assert.ok(await store().vaultSecrets.fetchLatest(kv.key, 'live'))
    })

    it('deletes the secrets and the endpoint of a vault with the vault', async () => {
      const kv = await vault(store())
      await store().vaultSecrets.create(secret(kv.key, 's', T0))
      await store().vaultEndpoints.save({ vault_key: kv.key, port: 40001, updated_at: T0 })
      await store().transaction(async (tx) => {
        await tx.resources.delete(kv.key)
      })
      assert.equal(await store().vaultSecrets.fetchLatest(kv.key, 's'), undefined)
      assert.equal(await store().vaultEndpoints.fetch(kv.key), undefined)
    })

    it('saves and replaces the port of a vault endpoint', async () => {
      const kv = await vault(store())
      assert.equal(await store().vaultEndpoints.fetch(kv.key), undefined)
      await store().vaultEndpoints.save({ vault_key: kv.id, port: 40001, updated_at: T0 })
      await store().vaultEndpoints.save({ vault_key: kv.key, port: 40002, updated_at: T0 + 1 })
      assert.deepEqual(await store().vaultEndpoints.fetch(kv.id), {
        vault_key: kv.key,
        port: 40002,
        updated_at: T0 + 1,
      })
    })
  })

  describe('vault keys', () => {
    const key = (vaultKey: string, name: string, createdAt: number): VaultKeyRow => ({
      vault_key: vaultKey,
      name_key: name.toLowerCase(),
      name,
      version: randomBytes(16).toString('hex'),
      kty: 'EC',
      key_ops: '["sign","verify"]',
      public_jwk: '{"kty":"EC","crv":"P-256","x":"x","y":"y"}',
      private_enc: 'eyJhbGciOiJkaXIifQ..iv.ct.tag',
      tags: null,
      enabled: 1,
      nbf: null,
      exp: null,
      created_at: createdAt,
      updated_at: createdAt,
      deleted_at: null,
      scheduled_purge_at: null,
    })

    it('keeps key versions apart from secrets, with the same versioned queries', async () => {
      const kv = await vault(store())
      const v1 = key(kv.key, 'Signing', T0)
      const v2 = key(kv.key, 'Signing', T0 + 1)
      await store().vaultKeys.create(v1)
      await store().vaultKeys.create(v2)
      await store().vaultSecrets.create(secret(kv.key, 'signing', T0))
      assert.deepEqual(await store().vaultKeys.fetchLatest(kv.id, 'SIGNING'), v2)
      assert.deepEqual(await store().vaultKeys.fetch(kv.key, 'signing', v1.version), v1)
      assert.equal((await store().vaultKeys.listAllVersions(kv.key, 'signing')).length, 2)
      assert.equal((await store().vaultKeys.listLatest(kv.key, { deleted: false })).items.length, 1)
      await assert.rejects(store().vaultKeys.create(v1), DUPLICATE)
      assert.equal(
        await store().vaultKeys.update(kv.key, 'signing', v1.version, { enabled: 0 }),
        true,
      )
      assert.equal((await store().vaultKeys.fetch(kv.key, 'signing', v1.version))?.enabled, 0)
      assert.equal(await store().vaultKeys.setDeleted(kv.key, 'signing', T0 + 5, T0 + 10), 2)
      assert.equal(await store().vaultKeys.prune(T0 + 10), 2)
      assert.ok(await store().vaultSecrets.fetchLatest(kv.key, 'signing'))
    })

    it('saves, replaces and deletes a rotation policy, and drops it with the vault', async () => {
      const kv = await vault(store())
      const row = { vault_key: kv.id, name_key: 'k', policy: '{}', created_at: T0, updated_at: T0 }
      await store().vaultKeyPolicies.save(row)
      await store().vaultKeyPolicies.save({ ...row, policy: '{"a":1}', updated_at: T0 + 1 })
      assert.deepEqual(await store().vaultKeyPolicies.fetch(kv.key, 'K'), {
        ...row,
        vault_key: kv.key,
        policy: '{"a":1}',
        updated_at: T0 + 1,
      })
      assert.equal(await store().vaultKeyPolicies.delete(kv.key, 'k'), 1)
      await store().vaultKeyPolicies.save(row)
      await store().vaultKeys.create(key(kv.key, 'k', T0))
      await store().transaction(async (tx) => {
        await tx.resources.delete(kv.key)
      })
      assert.equal(await store().vaultKeyPolicies.fetch(kv.key, 'k'), undefined)
      assert.equal(await store().vaultKeys.fetchLatest(kv.key, 'k'), undefined)
    })
  })
}
