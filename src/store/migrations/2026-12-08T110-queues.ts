// Frozen in time (see 2026-11-23T00-initial.ts): the queues of storage accounts and their
// messages. Every time is absolute (epoch ms), so visibility timeouts and expiries read the same
// after a restart as before it.
import { PostgresAdapter, sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  // Queue names are lower-case ASCII, listed in byte order: "C" on PostgreSQL, as for blobs.
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter
  const name = isPostgres ? sql`text collate "C"` : sql`text`

  await db.schema
    .createTable('queues')
    .addColumn('id', 'text', (col) => col.primaryKey())
    // Deleting the storage account (or its resource group) deletes its queues in the same
    // statement, and with them their messages.
    .addColumn('account_key', 'text', (col) =>
      col.notNull().references('resources.key').onDelete('cascade'),
    )
    .addColumn('name', name, (col) => col.notNull())
    .addColumn('metadata', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addUniqueConstraint('queues_account_name', ['account_key', 'name'])
    .execute()

  await db.schema
    .createTable('queue_messages')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('queue_id', 'text', (col) =>
      col.notNull().references('queues.id').onDelete('cascade'),
    )
    .addColumn('body', 'text', (col) => col.notNull())
    .addColumn('inserted_at', 'bigint', (col) => col.notNull())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .addColumn('visible_at', 'bigint', (col) => col.notNull())
    .addColumn('dequeue_count', 'integer', (col) => col.notNull())
    .addColumn('pop_receipt', 'text', (col) => col.notNull())
    .execute()
  // The claim's scan: the visible messages of one queue, oldest visibility first.
  await db.schema
    .createIndex('queue_messages_visible')
    .on('queue_messages')
    .columns(['queue_id', 'visible_at', 'inserted_at'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('queue_messages').execute()
  await db.schema.dropTable('queues').execute()
}
