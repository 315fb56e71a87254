import { sql, type Kysely } from 'kysely'
import { affectedRows } from './changes.js'
import type { Database } from './schema.js'
import type { SigningKeyStore, StoreCapabilities } from './store.js'

// Any fixed number, distinct from the event log's and the cluster's (event-store.ts,
// cluster-state-store.ts).
const ROTATION_LOCK = 7428116

export function createSigningKeyStore(
  db: Kysely<Database>,
  { hasConcurrentWriters }: StoreCapabilities,
): SigningKeyStore {
  return {
    async lockForRotation() {
      // A single writer (SQLite) is already alone in its transaction.
      if (hasConcurrentWriters)
        await sql`select pg_advisory_xact_lock(${ROTATION_LOCK})`.execute(db)
    },
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
