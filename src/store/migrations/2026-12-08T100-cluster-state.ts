// Frozen in time (see 2026-11-23T00-initial.ts): what replicas of `keyless server` share besides
// the directory, one row per item: the master-key check, the CA, the TLS material they serve and
// the operator's credential. A value is a sealed JWE where it is secret (server/cluster-state.ts).
import type { Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('cluster_state')
    .addColumn('name', 'text', (col) => col.primaryKey())
    .addColumn('value', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('cluster_state').execute()
}
