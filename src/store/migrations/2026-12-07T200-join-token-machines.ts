// Frozen in time (see 2026-11-23T00-initial.ts): a join token may name where its host appears in
// ARM, as `azcmagent connect --resource-group --location` does: the resource group id of the
// host's Microsoft.HybridCompute/machines resource and its location. Tokens without them (the
// local agent of `keyless up`, older tokens) enroll a host that has no machine resource.
import type { Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('join_tokens').addColumn('machine_group_id', 'text').execute()
  await db.schema.alterTable('join_tokens').addColumn('machine_location', 'text').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('join_tokens').dropColumn('machine_location').execute()
  await db.schema.alterTable('join_tokens').dropColumn('machine_group_id').execute()
}
