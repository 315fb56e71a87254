// Frozen in time (see 2026-11-23T00-initial.ts): Key Vault keys, versioned and soft-deleted as
// secrets are, and each key's rotation policy. The private half of a key lives only in
// `private_enc`, sealed under the installation's key hierarchy; `public_jwk` is what GET returns.
import type { Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('vault_keys')
    .addColumn('vault_key', 'text', (col) =>
      col.notNull().references('resources.key').onDelete('cascade'),
    )
    .addColumn('name_key', 'text', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('version', 'text', (col) => col.notNull())
    .addColumn('kty', 'text', (col) => col.notNull())
    .addColumn('key_ops', 'text', (col) => col.notNull())
    .addColumn('public_jwk', 'text', (col) => col.notNull())
    .addColumn('private_enc', 'text', (col) => col.notNull())
    .addColumn('tags', 'text')
    .addColumn('enabled', 'integer', (col) => col.notNull())
    .addColumn('nbf', 'bigint')
    .addColumn('exp', 'bigint')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .addColumn('deleted_at', 'bigint')
    .addColumn('scheduled_purge_at', 'bigint')
    .addPrimaryKeyConstraint('vault_keys_pk', ['vault_key', 'name_key', 'version'])
    .execute()
  await db.schema
    .createIndex('vault_keys_latest')
    .on('vault_keys')
    .columns(['vault_key', 'name_key', 'created_at'])
    .execute()
  await db.schema
    .createIndex('vault_keys_purge')
    .on('vault_keys')
    .column('scheduled_purge_at')
    .execute()

  await db.schema
    .createTable('vault_key_policies')
    .addColumn('vault_key', 'text', (col) =>
      col.notNull().references('resources.key').onDelete('cascade'),
    )
    .addColumn('name_key', 'text', (col) => col.notNull())
    .addColumn('policy', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .addPrimaryKeyConstraint('vault_key_policies_pk', ['vault_key', 'name_key'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('vault_key_policies').execute()
  await db.schema.dropTable('vault_keys').execute()
}
