// Frozen in time: this migration must produce the same schema forever, so it uses Kysely<any>
// and imports nothing from the application (kysely site/docs/migrations.mdx).
import { PostgresAdapter, type Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  // One schema for both dialects. Times are `bigint` epoch ms: PostgreSQL needs the 8 bytes and
  // SQLite gives any type containing "INT" integer affinity. Only the event sequence needs
  // dialect syntax: SQLite's autoincrement is spelled on an `integer primary key`, PostgreSQL
  // uses an identity column; the migrator's adapter is the one place that tells them apart.
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter

  await db.schema
    .createTable('tenants')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('display_name', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .execute()

  await db.schema
    .createTable('subscriptions')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('tenant_id', 'text', (col) => col.notNull().references('tenants.id'))
    .addColumn('display_name', 'text', (col) => col.notNull())
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .execute()
  await db.schema
    .createIndex('subscriptions_tenant')
    .on('subscriptions')
    .column('tenant_id')
    .execute()

  await db.schema
    .createTable('resource_groups')
    .addColumn('key', 'text', (col) => col.primaryKey())
    .addColumn('id', 'text', (col) => col.notNull())
    .addColumn('subscription_id', 'text', (col) => col.notNull().references('subscriptions.id'))
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('location', 'text', (col) => col.notNull())
    .addColumn('tags', 'text', (col) => col.notNull())
    .addColumn('managed_by', 'text')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .execute()
  await db.schema
    .createIndex('resource_groups_subscription')
    .on('resource_groups')
    .columns(['subscription_id', 'key'])
    .execute()

  await db.schema
    .createTable('resources')
    .addColumn('key', 'text', (col) => col.primaryKey())
    .addColumn('id', 'text', (col) => col.notNull())
    .addColumn('subscription_id', 'text', (col) => col.notNull())
    .addColumn('group_key', 'text', (col) => col.notNull().references('resource_groups.key'))
    .addColumn('parent_key', 'text', (col) => col.references('resources.key'))
    .addColumn('type', 'text', (col) => col.notNull())
    .addColumn('type_key', 'text', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('kind', 'text')
    .addColumn('location', 'text', (col) => col.notNull())
    .addColumn('tags', 'text', (col) => col.notNull())
    .addColumn('properties', 'text', (col) => col.notNull())
    .addColumn('host_id', 'text')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .execute()
  // Lists page by key, so each filter column is indexed together with it.
  for (const column of ['subscription_id', 'group_key', 'type_key', 'parent_key']) {
    await db.schema
      .createIndex(`resources_${column}`)
      .on('resources')
      .columns([column, 'key'])
      .execute()
  }

  await db.schema
    .createTable('service_principals')
    .addColumn('object_id', 'text', (col) => col.primaryKey())
    .addColumn('app_id', 'text', (col) => col.notNull().unique())
    .addColumn('tenant_id', 'text', (col) => col.notNull())
    .addColumn('display_name', 'text', (col) => col.notNull())
    .addColumn('principal_type', 'text', (col) => col.notNull())
    .addColumn('identity_kind', 'text')
    .addColumn('alternative_names', 'text', (col) => col.notNull())
    // A backstop only: the directory deletes a resource's principal itself, with the
    // `principal.deleted` event agents and RBAC indexes follow (directory/principals.ts); the
    // cascade writes no event and catches only a delete that forgot it. The lifecycle contract
    // asserts the event, so relying on the cascade fails the tests.
    .addColumn('resource_key', 'text', (col) =>
      col.unique().references('resources.key').onDelete('cascade'),
    )
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .execute()

  await db.schema
    .createTable('identity_attachments')
    .addColumn('resource_key', 'text', (col) =>
      col.notNull().references('resources.key').onDelete('cascade'),
    )
    .addColumn('identity_key', 'text', (col) =>
      col.notNull().references('resources.key').onDelete('cascade'),
    )
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addPrimaryKeyConstraint('identity_attachments_pk', ['resource_key', 'identity_key'])
    .execute()
  await db.schema
    .createIndex('identity_attachments_identity')
    .on('identity_attachments')
    .column('identity_key')
    .execute()

  await db.schema
    .createTable('client_secrets')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('app_id', 'text', (col) =>
      col.notNull().references('service_principals.app_id').onDelete('cascade'),
    )
    .addColumn('secret_hash', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('expires_at', 'bigint')
    .execute()
  await db.schema.createIndex('client_secrets_app').on('client_secrets').column('app_id').execute()

  await db.schema
    .createTable('signing_keys')
    .addColumn('kid', 'text', (col) => col.primaryKey())
    .addColumn('alg', 'text', (col) => col.notNull())
    .addColumn('public_jwk', 'text', (col) => col.notNull())
    .addColumn('private_key_enc', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('activate_at', 'bigint', (col) => col.notNull())
    .addColumn('retire_at', 'bigint', (col) => col.notNull())
    .addColumn('expire_at', 'bigint', (col) => col.notNull())
    .execute()
  await db.schema
    .createIndex('signing_keys_expire')
    .on('signing_keys')
    .column('expire_at')
    .execute()

  // `seq` is the primary key, so reading events in order (seq > n) needs no other index.
  await db.schema
    .createTable('events')
    .addColumn('seq', isPostgres ? 'bigint' : 'integer', (col) =>
      isPostgres ? col.primaryKey().generatedAlwaysAsIdentity() : col.primaryKey().autoIncrement(),
    )
    .addColumn('at', 'bigint', (col) => col.notNull())
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('subject', 'text', (col) => col.notNull())
    .addColumn('data', 'text', (col) => col.notNull())
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'events',
    'signing_keys',
    'client_secrets',
    'identity_attachments',
    'service_principals',
    'resources',
    'resource_groups',
    'subscriptions',
    'tenants',
  ]) {
    await db.schema.dropTable(table).execute()
  }
}
