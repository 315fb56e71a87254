// Frozen in time (see 2026-11-23T00-initial.ts): blob containers, committed blobs and staged
// blocks of the Blob data plane. Content lives in files in the data directory; these rows point
// at complete files only (dataplane/blob/content-files.ts).
import { PostgresAdapter, sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  // Blob Storage lists names in binary (UTF-8 byte) order and compares them case-sensitively.
  // SQLite's default BINARY collation does exactly that; PostgreSQL's default follows the
  // database locale, so its name columns use the "C" collation.
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter
  const name = isPostgres ? sql`text collate "C"` : sql`text`

  await db.schema
    .createTable('blob_containers')
    .addColumn('id', 'text', (col) => col.primaryKey())
    // Deleting the storage account deletes its containers, and with them their blobs.
    .addColumn('account_key', 'text', (col) =>
      col.notNull().references('resources.key').onDelete('cascade'),
    )
    .addColumn('name', name, (col) => col.notNull())
    .addColumn('metadata', 'text', (col) => col.notNull())
    .addColumn('etag', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .addUniqueConstraint('blob_containers_account_name', ['account_key', 'name'])
    .execute()

  await db.schema
    .createTable('blobs')
    .addColumn('container_id', 'text', (col) =>
      col.notNull().references('blob_containers.id').onDelete('cascade'),
    )
    .addColumn('name', name, (col) => col.notNull())
    .addColumn('content_file', 'text', (col) => col.notNull())
    .addColumn('size', 'bigint', (col) => col.notNull())
    .addColumn('content_type', 'text')
    .addColumn('content_encoding', 'text')
    .addColumn('content_language', 'text')
    .addColumn('content_disposition', 'text')
    .addColumn('cache_control', 'text')
    .addColumn('content_md5', 'text')
    .addColumn('metadata', 'text', (col) => col.notNull())
    .addColumn('etag', 'text', (col) => col.notNull())
    .addColumn('block_list', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .addPrimaryKeyConstraint('blobs_pk', ['container_id', 'name'])
    .execute()

  await db.schema
    .createTable('blob_blocks')
    .addColumn('container_id', 'text', (col) =>
      col.notNull().references('blob_containers.id').onDelete('cascade'),
    )
    .addColumn('blob_name', name, (col) => col.notNull())
    .addColumn('block_id', 'text', (col) => col.notNull())
    .addColumn('content_file', 'text', (col) => col.notNull())
    .addColumn('size', 'bigint', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addPrimaryKeyConstraint('blob_blocks_pk', ['container_id', 'blob_name', 'block_id'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('blob_blocks').execute()
  await db.schema.dropTable('blobs').execute()
  await db.schema.dropTable('blob_containers').execute()
}
