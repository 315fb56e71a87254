import type { Kysely } from 'kysely'
import { affectedRows, pruneExpired } from './changes.js'
import type { Database } from './schema.js'
import type { PortalSessionStore } from './store.js'

export function createPortalSessionStore(db: Kysely<Database>): PortalSessionStore {
  return {
    async create(row) {
      await db.insertInto('portal_sessions').values(row).execute()
    },
    async redeem(linkHash, s) {
      // One conditional UPDATE: the row changes only while unredeemed and unexpired, so a
      // second redemption (a replayed or concurrently clicked link) matches nothing.
      const result = await db
        .updateTable('portal_sessions')
        .set({ session_hash: s.sessionHash, redeemed_at: s.now, expires_at: s.expiresAt })
        .where('link_hash', '=', linkHash)
        .where('redeemed_at', 'is', null)
        .where('expires_at', '>', s.now)
        .executeTakeFirst()
      if (affectedRows(result.numUpdatedRows) !== 1) return undefined
      return db
        .selectFrom('portal_sessions')
        .selectAll()
        .where('session_hash', '=', s.sessionHash)
        .executeTakeFirst()
    },
    fetchBySessionHash: (hash, now) =>
      db
        .selectFrom('portal_sessions')
        .selectAll()
        .where('session_hash', '=', hash)
        .where('expires_at', '>', now)
        .executeTakeFirst(),
    async delete(id) {
      await db.deleteFrom('portal_sessions').where('id', '=', id).execute()
    },
    prune: (now) => pruneExpired(db, 'portal_sessions', now),
  }
}
