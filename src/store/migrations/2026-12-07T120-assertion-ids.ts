// Frozen in time (see 2026-11-23T00-initial.ts): the ids (`jti`) of client assertions already
// accepted, shared by every replica on one database so that a captured assertion is accepted
// once in the whole installation, not once per process. Rows are kept until the assertion could
// no longer pass verification and are swept after that.
import type { Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('used_assertion_ids')
    .addColumn('jti', 'text', (col) => col.primaryKey())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .execute()
  await db.schema
    .createIndex('used_assertion_ids_expires_at')
    .on('used_assertion_ids')
    .column('expires_at')
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('used_assertion_ids').execute()
}
