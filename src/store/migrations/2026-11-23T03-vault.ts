// Frozen in time (see 2026-11-23T00-initial.ts): Key Vault secrets and the port each vault's
// data-plane listener last used. Both belong to their vault resource and go with it.
import type { Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('vault_secrets')
    .addColumn('vault_key', 'text', (col) =>
      col.notNull().references('resources.key').onDelete('cascade'),
    )
    // Key Vault object names compare case-insensitively: rows are found by the lower-cased name
    // and keep the casing they were created with for ids.
    .addColumn('name_key', 'text', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('version', 'text', (col) => col.notNull())
    .addColumn('value_enc', 'text', (col) => col.notNull())
    .addColumn('content_type', 'text')
    .addColumn('tags', 'text')
    .addColumn('enabled', 'integer', (col) => col.notNull())
    .addColumn('nbf', 'bigint')
    .addColumn('exp', 'bigint')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .addColumn('deleted_at', 'bigint')
    .addColumn('scheduled_purge_at', 'bigint')
    .addPrimaryKeyConstraint('vault_secrets_pk', ['vault_key', 'name_key', 'version'])
    .execute()
  // The latest version of a name is the one with the highest created_at.
  await db.schema
    .createIndex('vault_secrets_latest')
    .on('vault_secrets')
    .columns(['vault_key', 'name_key', 'created_at'])
    .execute()
  await db.schema
    .createIndex('vault_secrets_purge')
    .on('vault_secrets')
    .column('scheduled_purge_at')
    .execute()

  await db.schema
    .createTable('vault_endpoints')
    .addColumn('vault_key', 'text', (col) =>
      col.primaryKey().references('resources.key').onDelete('cascade'),
    )
    .addColumn('port', 'integer', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('vault_endpoints').execute()
  await db.schema.dropTable('vault_secrets').execute()
}
