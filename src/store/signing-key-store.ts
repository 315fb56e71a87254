import type { Kysely } from 'kysely'
import { affectedRows } from './changes.js'
import type { Database } from './schema.js'
import type { SigningKeyStore } from './store.js'

export function createSigningKeyStore(db: Kysely<Database>): SigningKeyStore {
  return {
    async create(row) {
      await db.insertInto('signing_keys').values(row).execute()
    },
    list: () =>
      db.selectFrom('signing_keys').selectAll().orderBy('created_at').orderBy('kid').execute(),
    async prune(now) {
      const result = await db
        .deleteFrom('signing_keys')
        .where('expire_at', '<=', now)
        .executeTakeFirst()
      return affectedRows(result.numDeletedRows)
    },
  }
}
