// Frozen in time (see 2026-11-23T00-initial.ts): scope keys compare as bytes in both dialects.
// A sweep "at or below k" is the range ['k/', 'k0'), which the (scope_key, name) indexes answer
// only if the column orders bytes. SQLite's default BINARY collation does; PostgreSQL's default
// follows the database locale, where that range is not contiguous, so the sweep had to scan with
// LIKE. Re-typing the column as "C" rebuilds its indexes in byte order; equality is unchanged
// (lower-cased ASCII keys compare the same under any deterministic collation).
import { PostgresAdapter, sql, type Kysely } from 'kysely'

const TABLES = ['role_assignments', 'deny_assignments']

function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter
}

export async function up(db: Kysely<any>): Promise<void> {
  if (!isPostgres(db)) return
  for (const table of TABLES) {
    await sql`alter table ${sql.table(table)} alter column scope_key type text collate "C"`.execute(
      db,
    )
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!isPostgres(db)) return
  for (const table of TABLES) {
    await sql`alter table ${sql.table(table)} alter column scope_key type text collate "default"`.execute(
      db,
    )
  }
}
