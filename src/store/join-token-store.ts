import type { Kysely } from 'kysely'
import { affectedRows, pruneExpired } from './changes.js'
import type { Database } from './schema.js'
import type { JoinTokenStore } from './store.js'

export function createJoinTokenStore(db: Kysely<Database>): JoinTokenStore {
  return {
    async create(row) {
      await db.insertInto('join_tokens').values(row).execute()
    },
    fetchByHash: (hash) =>
      db.selectFrom('join_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst(),
    /** Marks a token used; false if it was used already (a concurrent enrollment won). */
    async consume(id, usedAt, hostId) {
      const result = await db
        .updateTable('join_tokens')
        .set({ used_at: usedAt, host_id: hostId })
        .where('id', '=', id)
        .where('used_at', 'is', null)
        .executeTakeFirst()
      return affectedRows(result.numUpdatedRows) === 1
    },
    prune: (now) => pruneExpired(db, 'join_tokens', now),
  }
}
