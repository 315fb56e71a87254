// Frozen in time (see 2026-11-23T00-initial.ts): the portal's sign-in links and the sessions
// they become (portal/sessions.ts). Only SHA-256 hashes of the link code and of the session
// cookie are kept, as for join tokens: a copy of the database signs nobody in.
import type { Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('portal_sessions')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('link_hash', 'text', (col) => col.notNull().unique())
    .addColumn('session_hash', 'text', (col) => col.unique())
    .addColumn('principal_id', 'text', (col) => col.notNull())
    .addColumn('created_by', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('redeemed_at', 'bigint')
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('portal_sessions').execute()
}
