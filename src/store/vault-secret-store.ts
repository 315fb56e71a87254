import type { Kysely } from 'kysely'
import { affectedRows, hasChanges } from './changes.js'
import { readPage } from './paging.js'
import type { Database } from './schema.js'
import type { VaultEndpointStore, VaultSecretStore } from './store.js'

// Vault keys are ARM keys and names compare case-insensitively, so both are lower-cased on the
// way in; versions are lower-case hex by construction and lower-cased for lookups.
export function createVaultSecretStore(db: Kysely<Database>): VaultSecretStore {
  const rows = (vaultKey: string, name: string) =>
    db
      .selectFrom('vault_secrets')
      .selectAll()
      .where('vault_key', '=', vaultKey.toLowerCase())
      .where('name_key', '=', name.toLowerCase())
  const fetch: VaultSecretStore['fetch'] = (vaultKey, name, version) =>
    rows(vaultKey, name).where('version', '=', version.toLowerCase()).executeTakeFirst()

  return {
    async create(row) {
      await db
        .insertInto('vault_secrets')
        .values({
          ...row,
          vault_key: row.vault_key.toLowerCase(),
          name_key: row.name.toLowerCase(),
          version: row.version.toLowerCase(),
        })
        .execute()
    },
    fetch,
    fetchLatest: (vaultKey, name) =>
      rows(vaultKey, name).orderBy('created_at', 'desc').limit(1).executeTakeFirst(),
    listLatest: (vaultKey, filter, page = {}) =>
      readPage(
        page,
        (row) => row.name_key,
        (after, take) =>
          db
            .selectFrom('vault_secrets as s')
            .selectAll('s')
            .where('s.vault_key', '=', vaultKey.toLowerCase())
            .where('s.deleted_at', filter.deleted ? 'is not' : 'is', null)
            // The newest version of its name: no other version was created after it.
            .where(({ not, exists, selectFrom }) =>
              not(
                exists(
                  selectFrom('vault_secrets as n')
                    .select('n.version')
                    .whereRef('n.vault_key', '=', 's.vault_key')
                    .whereRef('n.name_key', '=', 's.name_key')
                    .whereRef('n.created_at', '>', 's.created_at'),
                ),
              ),
            )
            .$if(after !== undefined, (qb) => qb.where('s.name_key', '>', after as string))
            .orderBy('s.name_key')
            .limit(take)
            .execute(),
      ),
    listVersions: (vaultKey, name, page = {}) =>
      readPage(
        page,
        (row) => row.version,
        (after, take) =>
          rows(vaultKey, name)
            .$if(after !== undefined, (qb) => qb.where('version', '>', after as string))
            .orderBy('version')
            .limit(take)
            .execute(),
      ),
    listAllVersions: (vaultKey, name) => rows(vaultKey, name).orderBy('created_at').execute(),
    async update(vaultKey, name, version, changes) {
      if (!hasChanges(changes)) {
        return (await fetch(vaultKey, name, version)) !== undefined
      }
      const result = await db
        .updateTable('vault_secrets')
        .set(changes)
        .where('vault_key', '=', vaultKey.toLowerCase())
        .where('name_key', '=', name.toLowerCase())
        .where('version', '=', version.toLowerCase())
        .executeTakeFirst()
      return affectedRows(result.numUpdatedRows) > 0
    },
    async setDeleted(vaultKey, name, deletedAt, scheduledPurgeAt) {
      const result = await db
        .updateTable('vault_secrets')
        .set({ deleted_at: deletedAt, scheduled_purge_at: scheduledPurgeAt })
        .where('vault_key', '=', vaultKey.toLowerCase())
        .where('name_key', '=', name.toLowerCase())
        .executeTakeFirst()
      return affectedRows(result.numUpdatedRows)
    },
    async delete(vaultKey, name) {
      const result = await db
        .deleteFrom('vault_secrets')
        .where('vault_key', '=', vaultKey.toLowerCase())
        .where('name_key', '=', name.toLowerCase())
        .executeTakeFirst()
      return affectedRows(result.numDeletedRows)
    },
    async prune(now) {
      const result = await db
        .deleteFrom('vault_secrets')
        .where('scheduled_purge_at', 'is not', null)
        .where('scheduled_purge_at', '<=', now)
        .executeTakeFirst()
      return affectedRows(result.numDeletedRows)
    },
  }
}

export function createVaultEndpointStore(db: Kysely<Database>): VaultEndpointStore {
  return {
    fetch: (vaultKey) =>
      db
        .selectFrom('vault_endpoints')
        .selectAll()
        .where('vault_key', '=', vaultKey.toLowerCase())
        .executeTakeFirst(),
    async save(row) {
      const values = { ...row, vault_key: row.vault_key.toLowerCase() }
      await db
        .insertInto('vault_endpoints')
        .values(values)
        .onConflict((oc) =>
          oc.column('vault_key').doUpdateSet({ port: values.port, updated_at: values.updated_at }),
        )
        .execute()
    },
  }
}
