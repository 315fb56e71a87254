// Frozen in time (see 2026-11-23T00-initial.ts): custom role definitions, role assignments and
// deny assignments. Built-in roles are code (domain/rbac/built-in-roles.ts), never rows.
import type { Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('role_definitions')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('scope', 'text', (col) => col.notNull())
    .addColumn('role_name', 'text', (col) => col.notNull())
    // Role names are unique in the directory whatever their casing (RoleDefinitionWithSameNameExists).
    .addColumn('role_name_key', 'text', (col) => col.notNull().unique())
    .addColumn('type', 'text', (col) => col.notNull())
    .addColumn('description', 'text', (col) => col.notNull())
    .addColumn('permissions', 'text', (col) => col.notNull())
    .addColumn('assignable_scopes', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .execute()

  await db.schema
    .createTable('role_assignments')
    .addColumn('name', 'text', (col) => col.primaryKey())
    .addColumn('scope', 'text', (col) => col.notNull())
    .addColumn('scope_key', 'text', (col) => col.notNull())
    .addColumn('role_definition_id', 'text', (col) => col.notNull())
    // The directory deletes a principal's assignments explicitly, with events; the cascade is a
    // backstop so that no path can leave one behind.
    .addColumn('principal_id', 'text', (col) =>
      col.notNull().references('service_principals.object_id').onDelete('cascade'),
    )
    .addColumn('principal_type', 'text', (col) => col.notNull())
    .addColumn('description', 'text')
    .addColumn('condition', 'text')
    .addColumn('condition_version', 'text')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .addColumn('created_by', 'text')
    .addUniqueConstraint('role_assignments_principal_role_scope', [
      'principal_id',
      'role_definition_id',
      'scope_key',
    ])
    .execute()
  // Lists page by name, so each filter column is indexed together with it.
  for (const column of ['scope_key', 'principal_id', 'role_definition_id']) {
    await db.schema
      .createIndex(`role_assignments_${column}`)
      .on('role_assignments')
      .columns([column, 'name'])
      .execute()
  }

  await db.schema
    .createTable('deny_assignments')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('scope', 'text', (col) => col.notNull())
    .addColumn('scope_key', 'text', (col) => col.notNull())
    .addColumn('description', 'text', (col) => col.notNull())
    .addColumn('permissions', 'text', (col) => col.notNull())
    .addColumn('principals', 'text', (col) => col.notNull())
    .addColumn('exclude_principals', 'text', (col) => col.notNull())
    // 0 or 1: one integer type behaves the same in both dialects.
    .addColumn('do_not_apply_to_child_scopes', 'integer', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .execute()
  await db.schema
    .createIndex('deny_assignments_scope_key')
    .on('deny_assignments')
    .columns(['scope_key', 'id'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['deny_assignments', 'role_assignments', 'role_definitions']) {
    await db.schema.dropTable(table).execute()
  }
}
