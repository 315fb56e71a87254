import { Migrator, type Kysely } from 'kysely'
import { Internal } from '../domain/errors.js'
import { migrationProvider } from './migrations/index.js'

export interface MigrateOptions {
  /**
   * PostgreSQL schema of Kysely's own migration tables. Kysely's introspection looks for them in
   * every schema unless told one, so a second Keyless schema in the same database would take
   * the first one's tables for its own and skip its migrations.
   */
  schema?: string
}

/** Brings the database to the latest migration; returns the names it applied (none if current). */
export async function migrateToLatest(
  db: Kysely<any>,
  options: MigrateOptions = {},
): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: migrationProvider,
    migrationTableSchema: options.schema,
  })
  const { error, results = [] } = await migrator.migrateToLatest()
  if (error !== undefined) {
    const failed = results.find((result) => result.status === 'Error')
    throw new Internal('store migration failed', { cause: error, target: failed?.migrationName })
  }
  return results.filter((result) => result.status === 'Success').map((r) => r.migrationName)
}
