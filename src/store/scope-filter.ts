// "At one of these scopes, or below that one" as SQL over a lower-cased `scope_key` column.
// Below means whole segments: `k/...`, never `k0`. The column orders bytes in both dialects
// (binary collation on SQLite, "C" on PostgreSQL: 2026-12-07T130-scope-key-collation.ts), so that
// is the range ['k/', 'k0'), which the scope index answers; an OR with LIKE would scan the table
// on every deletion.
import { sql, type Expression, type SqlBool } from 'kysely'

export interface ScopeFilter {
  scopeKeys?: readonly string[]
  below?: string
}

/** The condition, or undefined when the filter does not restrict scopes. */
export function scopeCondition(filter: ScopeFilter): Expression<SqlBool> | undefined {
  const parts: Expression<SqlBool>[] = []
  const keys = filter.scopeKeys?.map((k) => k.toLowerCase())
  if (keys !== undefined) {
    parts.push(
      keys.length === 0 ? sql<SqlBool>`1 = 0` : sql<SqlBool>`scope_key in (${sql.join(keys)})`,
    )
  }
  if (filter.below !== undefined) {
    const below = filter.below.toLowerCase()
    parts.push(
      below === '/'
        ? sql<SqlBool>`scope_key <> '/'`
        : sql<SqlBool>`(scope_key >= ${below + '/'} and scope_key < ${below + '0'})`,
    )
  }
  if (parts.length === 0) return undefined
  return parts.length === 1 ? parts[0] : sql<SqlBool>`(${sql.join(parts, sql` or `)})`
}
