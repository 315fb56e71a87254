// Frozen in time (see 2026-11-23T00-initial.ts): the subject of the CA that signed each host's
// current certificate, so that retiring a CA after a rotation can tell which hosts still hold a
// certificate only the old CA vouches for. Null for certificates issued before this column:
// those count as not from the active CA until the host renews.
import type { Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('hosts').addColumn('cert_issuer', 'text').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('hosts').dropColumn('cert_issuer').execute()
}
