import type { Kysely } from 'kysely'
import { affectedRows } from './changes.js'
import type { Database } from './schema.js'
import type { FederatedCredentialStore } from './store.js'

export function createFederatedCredentialStore(db: Kysely<Database>): FederatedCredentialStore {
  const table = 'federated_credentials' as const
  return {
    async create(row) {
      await db.insertInto(table).values(row).execute()
    },
    fetch: (identityKey, nameKey) =>
      db
        .selectFrom(table)
        .selectAll()
        .where('identity_key', '=', identityKey)
        .where('name_key', '=', nameKey)
        .executeTakeFirst(),
    list: (identityKey) =>
      db
        .selectFrom(table)
        .selectAll()
        .where('identity_key', '=', identityKey)
        .orderBy('name_key')
        .execute(),
    // Sorted here, not in SQL: with ORDER BY name_key SQLite prefers the primary key (an
    // identity_key range read in name order, every credential of the identity) over the issuer
    // index (federated-credential-index.test.ts shows the plan).
    listByIssuer: async (identityKey, issuer) =>
      (
        await db
          .selectFrom(table)
          .selectAll()
          .where('identity_key', '=', identityKey)
          .where('issuer', '=', issuer)
          .execute()
      ).sort((a, b) => (a.name_key < b.name_key ? -1 : a.name_key > b.name_key ? 1 : 0)),
    async count(identityKey) {
      const row = await db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('identity_key', '=', identityKey)
        .executeTakeFirstOrThrow()
      // PostgreSQL returns count(*) as a bigint string.
      return Number(row.n)
    },
    async update(identityKey, nameKey, changes) {
      const result = await db
        .updateTable(table)
        .set(changes)
        .where('identity_key', '=', identityKey)
        .where('name_key', '=', nameKey)
        .executeTakeFirst()
      return affectedRows(result.numUpdatedRows) === 1
    },
    async delete(identityKey, nameKey) {
      const result = await db
        .deleteFrom(table)
        .where('identity_key', '=', identityKey)
        .where('name_key', '=', nameKey)
        .executeTakeFirst()
      return affectedRows(result.numDeletedRows) === 1
    },
    async deleteByIdentity(identityKey) {
      const result = await db
        .deleteFrom(table)
        .where('identity_key', '=', identityKey)
        .executeTakeFirst()
      return affectedRows(result.numDeletedRows)
    },
  }
}
