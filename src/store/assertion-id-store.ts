import type { Kysely } from 'kysely'
import { affectedRows, pruneExpired } from './changes.js'
import type { Database } from './schema.js'
import type { AssertionIdStore } from './store.js'

export function createAssertionIdStore(db: Kysely<Database>): AssertionIdStore {
  return {
    // One statement, atomic in both dialects: of two replicas claiming the same id at once, the
    // primary key lets exactly one insert; an expired record not yet swept is taken over.
    async claim(jti, expiresAt, now) {
      const result = await db
        .insertInto('used_assertion_ids')
        .values({ jti, expires_at: expiresAt })
        .onConflict((oc) =>
          oc
            .column('jti')
            .doUpdateSet({ expires_at: expiresAt })
            .where('used_assertion_ids.expires_at', '<', now),
        )
        .executeTakeFirst()
      return affectedRows(result.numInsertedOrUpdatedRows) === 1
    },
    async isClaimed(jti, now) {
      const row = await db
        .selectFrom('used_assertion_ids')
        .select('expires_at')
        .where('jti', '=', jti)
        .where('expires_at', '>=', now)
        .executeTakeFirst()
      return row !== undefined
    },
    // A record whose time equals now still counts (claim takes over only strictly earlier).
    prune: (now) => pruneExpired(db, 'used_assertion_ids', now - 1),
  }
}
