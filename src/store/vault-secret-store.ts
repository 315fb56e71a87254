import type { Kysely } from 'kysely'
import { affectedRows, hasChanges } from './changes.js'
import { readPage } from './paging.js'
import type { Database } from './schema.js'
import type {
  VaultEndpointStore,
  VaultKeyPolicyStore,
  VaultKeyStore,
  VaultSecretStore,
  VersionedObjectRow,
  VersionedObjectStore,
} from './store.js'

/** Tables of versioned vault objects; they share the columns of `VersionedObjectRow`. */
type VersionedTable = 'vault_secrets' | 'vault_keys'

export const createVaultSecretStore = (db: Kysely<Database>): VaultSecretStore =>
  createVersionedObjectStore(db, 'vault_secrets')
export const createVaultKeyStore = (db: Kysely<Database>): VaultKeyStore =>
  createVersionedObjectStore(db, 'vault_keys')

// Vault keys are ARM keys and names compare case-insensitively, so both are lower-cased on the
// way in; versions are lower-case hex by construction and lower-cased for lookups. The queries
// touch only the shared columns; Kysely is told the table is `vault_secrets` so that one typed
// query serves both, and rows come back as the table's own row type.
function createVersionedObjectStore<Row extends VersionedObjectRow, Changes extends object>(
  db: Kysely<Database>,
  tableName: VersionedTable,
): VersionedObjectStore<Row, Changes> {
  const table = tableName as 'vault_secrets'
  type Any = any
  const rows = (vaultKey: string, name: string) =>
    db
      .selectFrom(table)
      .selectAll()
      .where('vault_key', '=', vaultKey.toLowerCase())
      .where('name_key', '=', name.toLowerCase())
  const fetch = async (vaultKey: string, name: string, version: string) =>
    (await rows(vaultKey, name).where('version', '=', version.toLowerCase()).executeTakeFirst()) as
      Row | undefined

  return {
    async create(row) {
      await db
        .insertInto(table)
        .values({
          ...(row as Any),
          vault_key: row.vault_key.toLowerCase(),
          name_key: row.name.toLowerCase(),
          version: row.version.toLowerCase(),
        })
        .execute()
    },
    fetch,
    fetchLatest: async (vaultKey, name) =>
      (await rows(vaultKey, name).orderBy('created_at', 'desc').limit(1).executeTakeFirst()) as
        Row | undefined,
    listLatest: (vaultKey, filter, page = {}) =>
      readPage<Row>(
        page,
        (row) => row.name_key,
        (after, take) =>
          db
            .selectFrom(`${table} as s` as 'vault_secrets as s')
            .selectAll('s')
            .where('s.vault_key', '=', vaultKey.toLowerCase())
            .where('s.deleted_at', filter.deleted ? 'is not' : 'is', null)
            // The newest version of its name: no other version was created after it.
            .where(({ not, exists, selectFrom }) =>
              not(
                exists(
                  selectFrom(`${table} as n` as 'vault_secrets as n')
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
            .execute() as Promise<Row[]>,
      ),
    listVersions: (vaultKey, name, page = {}) =>
      readPage<Row>(
        page,
        (row) => row.version,
        (after, take) =>
          rows(vaultKey, name)
            .$if(after !== undefined, (qb) => qb.where('version', '>', after as string))
            .orderBy('version')
            .limit(take)
            .execute() as Promise<Row[]>,
      ),
    listAllVersions: async (vaultKey, name) =>
      (await rows(vaultKey, name).orderBy('created_at').execute()) as Row[],
    async update(vaultKey, name, version, changes) {
      if (!hasChanges(changes)) {
        return (await fetch(vaultKey, name, version)) !== undefined
      }
      const result = await db
        .updateTable(table)
        .set(changes as Any)
        .where('vault_key', '=', vaultKey.toLowerCase())
        .where('name_key', '=', name.toLowerCase())
        .where('version', '=', version.toLowerCase())
        .executeTakeFirst()
      return affectedRows(result.numUpdatedRows) > 0
    },
    async setDeleted(vaultKey, name, deletedAt, scheduledPurgeAt) {
      const result = await db
        .updateTable(table)
        .set({ deleted_at: deletedAt, scheduled_purge_at: scheduledPurgeAt })
        .where('vault_key', '=', vaultKey.toLowerCase())
        .where('name_key', '=', name.toLowerCase())
        .executeTakeFirst()
      return affectedRows(result.numUpdatedRows)
    },
    async delete(vaultKey, name) {
      const result = await db
        .deleteFrom(table)
        .where('vault_key', '=', vaultKey.toLowerCase())
        .where('name_key', '=', name.toLowerCase())
        .executeTakeFirst()
      return affectedRows(result.numDeletedRows)
    },
    async prune(now) {
      const result = await db
        .deleteFrom(table)
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

export function createVaultKeyPolicyStore(db: Kysely<Database>): VaultKeyPolicyStore {
  return {
    fetch: (vaultKey, name) =>
      db
        .selectFrom('vault_key_policies')
        .selectAll()
        .where('vault_key', '=', vaultKey.toLowerCase())
        .where('name_key', '=', name.toLowerCase())
        .executeTakeFirst(),
    async save(row) {
      const values = {
        ...row,
        vault_key: row.vault_key.toLowerCase(),
        name_key: row.name_key.toLowerCase(),
      }
      await db
        .insertInto('vault_key_policies')
        .values(values)
        .onConflict((oc) =>
          oc
            .columns(['vault_key', 'name_key'])
            .doUpdateSet({ policy: values.policy, updated_at: values.updated_at }),
        )
        .execute()
    },
    async delete(vaultKey, name) {
      const result = await db
        .deleteFrom('vault_key_policies')
        .where('vault_key', '=', vaultKey.toLowerCase())
        .where('name_key', '=', name.toLowerCase())
        .executeTakeFirst()
      return affectedRows(result.numDeletedRows)
    },
  }
}
