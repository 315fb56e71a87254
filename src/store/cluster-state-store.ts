import { sql, type Kysely } from 'kysely'
import type { ClusterStateRow, Database } from './schema.js'
import type { StoreCapabilities } from './store.js'

export interface ClusterStateStore {
  fetch(name: string): Promise<ClusterStateRow | undefined>
  /** Creates or replaces the named row. */
  save(row: ClusterStateRow): Promise<void>
  /**
   * Holds the cluster's initialisation lock until the calling transaction ends, so that
   * replicas starting together on an empty database initialise it once, one after another.
   */
  lockForInitialisation(): Promise<void>
}

// Any fixed number, distinct from the event log's (event-store.ts).
const INITIALISATION_LOCK = 7428115

export function createClusterStateStore(
  db: Kysely<Database>,
  { hasConcurrentWriters }: StoreCapabilities,
): ClusterStateStore {
  return {
    fetch: (name) =>
      db.selectFrom('cluster_state').selectAll().where('name', '=', name).executeTakeFirst(),
    async save(row) {
      await db
        .insertInto('cluster_state')
        .values(row)
        .onConflict((oc) =>
          oc.column('name').doUpdateSet({ value: row.value, updated_at: row.updated_at }),
        )
        .execute()
    },
    async lockForInitialisation() {
      // A single writer (SQLite) is already alone in its transaction.
      if (hasConcurrentWriters)
        await sql`select pg_advisory_xact_lock(${INITIALISATION_LOCK})`.execute(db)
    },
  }
}
