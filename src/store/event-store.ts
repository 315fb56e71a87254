import { sql, type Kysely } from 'kysely'
import { pageSize } from './paging.js'
import type { Database } from './schema.js'
import type { EventStore, StoreCapabilities } from './store.js'

/** The notification channel of a schema's event log is this prefix and the schema's name. */
export const EVENTS_CHANNEL_PREFIX = 'keyless_events:'

// Append-only on purpose: there is no update or delete, and consumers follow the log by `seq`.
export function createEventStore(
  db: Kysely<Database>,
  { hasConcurrentWriters, isSharedByReplicas }: StoreCapabilities,
): EventStore {
  // With concurrent writers (PostgreSQL) identity values are handed out at insert time, so two
  // transactions can commit their events out of sequence order and a reader following
  // `seq > last` would skip the later-committed lower one. A transaction-scoped advisory lock
  // (PostgreSQL's) taken before the insert makes event-writing transactions commit one after
  // another, in seq order. A single writer (SQLite) needs nothing.
  const serializeAppends = hasConcurrentWriters
  return {
    async append(row) {
      if (serializeAppends) await sql`select pg_advisory_xact_lock(7428114)`.execute(db)
      const { seq } = await db
        .insertInto('events')
        .values(row)
        .returning('seq')
        .executeTakeFirstOrThrow()
      // Wakes the other replicas' change feeds (postgres-commit-watch.ts). PostgreSQL delivers
      // a notification only when its transaction commits, and never one of a rollback; the log
      // stays the truth, the notification only says "read it now".
      if (isSharedByReplicas) {
        await sql`select pg_notify(${EVENTS_CHANNEL_PREFIX} || current_schema(), ${String(seq)})`.execute(
          db,
        )
      }
      return Number(seq)
    },
    list: (after, limit) =>
      db
        .selectFrom('events')
        .selectAll()
        .where('seq', '>', after)
        .orderBy('seq')
        .limit(pageSize(limit))
        .execute(),
    async last() {
      const { last } = await db
        .selectFrom('events')
        .select((eb) => eb.fn.max('seq').as('last'))
        .executeTakeFirstOrThrow()
      return Number(last ?? 0)
    },
  }
}
