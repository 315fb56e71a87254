// Frozen in time (see 2026-11-23T00-initial.ts): the sign-in log and the activity log, both
// append-only and hash-chained (common/log-chain.ts), and one chain row per log. The chain row
// holds the head (last seq and hash: appends lock it, so concurrent writers cannot fork the
// chain) and the anchor (seq and hash of the last pruned entry, where verification starts).
// `seq` is assigned by the appender under that lock, not by the database, so it has no gaps.
// The columns beside `record` are copies of record fields for filtering; verification checks
// that they still match the record.
import type { Kysely } from 'kysely'

const ZERO = '0'.repeat(64)

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('log_chains')
    .addColumn('log', 'text', (col) => col.primaryKey())
    .addColumn('head_seq', 'bigint', (col) => col.notNull())
    .addColumn('head_hash', 'text', (col) => col.notNull())
    .addColumn('anchor_seq', 'bigint', (col) => col.notNull())
    .addColumn('anchor_hash', 'text', (col) => col.notNull())
    .execute()
  await db
    .insertInto('log_chains')
    .values(
      ['sign_ins', 'activity_log'].map((log) => ({
        log,
        head_seq: 0,
        head_hash: ZERO,
        anchor_seq: 0,
        anchor_hash: ZERO,
      })),
    )
    .execute()

  await db.schema
    .createTable('sign_ins')
    .addColumn('seq', 'bigint', (col) => col.primaryKey())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('principal_id', 'text')
    .addColumn('app_id', 'text')
    .addColumn('identity_resource_key', 'text')
    .addColumn('audience', 'text')
    .addColumn('host_id', 'text')
    .addColumn('result', 'text', (col) => col.notNull())
    .addColumn('record', 'text', (col) => col.notNull())
    .addColumn('prev_hash', 'text', (col) => col.notNull())
    .addColumn('hash', 'text', (col) => col.notNull())
    .execute()
  await db.schema.createIndex('sign_ins_created_at').on('sign_ins').column('created_at').execute()

  await db.schema
    .createTable('activity_log')
    .addColumn('seq', 'bigint', (col) => col.primaryKey())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('subscription_key', 'text')
    .addColumn('resource_group_key', 'text')
    .addColumn('resource_key', 'text', (col) => col.notNull())
    .addColumn('correlation_id', 'text', (col) => col.notNull())
    .addColumn('caller', 'text')
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('record', 'text', (col) => col.notNull())
    .addColumn('prev_hash', 'text', (col) => col.notNull())
    .addColumn('hash', 'text', (col) => col.notNull())
    .execute()
  await db.schema
    .createIndex('activity_log_created_at')
    .on('activity_log')
    .column('created_at')
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('activity_log').execute()
  await db.schema.dropTable('sign_ins').execute()
  await db.schema.dropTable('log_chains').execute()
}
