// "At one of these scopes, or below that one" as SQL over a lower-cased `scope_key` column.
// Below means whole segments: `k/...`, never `k0`. On SQLite (binary collation) that is the
// range ['k/', 'k0'), which the scope index answers; an OR with LIKE would scan the table on every
// deletion. A database whose collation may not order bytes (PostgreSQL's, by locale) keeps LIKE,
// whose wildcards are escaped since resource names may contain `_`.
import { sql, type Expression, type SqlBool } from 'kysely'
import type { StoreCapabilities } from './store.js'

const escapeLike = (s: string): string => s.replace(/[\\%_]/g, '\\$&')

export interface ScopeFilter {
  scopeKeys?: readonly string[]
  below?: string
}

/** The condition, or undefined when the filter does not restrict scopes. */
export function scopeCondition(
  filter: ScopeFilter,
  capabilities: Pick<StoreCapabilities, 'comparesTextAsBytes'>,
): Expression<SqlBool> | undefined {
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
        : capabilities.comparesTextAsBytes
          ? sql<SqlBool>`(scope_key >= ${below + '/'} and scope_key < ${below + '0'})`
          : sql<SqlBool>`scope_key like ${escapeLike(below) + '/%'} escape '\\'`,
    )
  }
  if (parts.length === 0) return undefined
  return parts.length === 1 ? parts[0] : sql<SqlBool>`(${sql.join(parts, sql` or `)})`
}
