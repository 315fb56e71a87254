// Frozen in time (see 2026-11-23T00-initial.ts): process selectors (issue 15, a Keyless
// extension) on an identity attachment, as canonical JSON text, null for none. A user-assigned
// identity's are on its attachment row; a system-assigned identity has no attachment row, so
// its selectors are on the compute resource, next to the principal it owns.
import type { Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('identity_attachments').addColumn('selectors', 'text').execute()
  await db.schema.alterTable('resources').addColumn('identity_selectors', 'text').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('resources').dropColumn('identity_selectors').execute()
  await db.schema.alterTable('identity_attachments').dropColumn('selectors').execute()
}
