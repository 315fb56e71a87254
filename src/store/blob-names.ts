// Name ranges for the Blob listings: a prefix, a resume point, and a page size. Names compare in
// binary order in both dialects (see the blob migration), so `>` and `>=` on the name column are
// the order Blob Storage lists in; the prefix is matched by code points with substr(), which
// counts characters in both SQLite and PostgreSQL (LIKE would need escaping, and SQLite's LIKE
// ignores ASCII case).
import { sql, type RawBuilder, type SqlBool } from 'kysely'

export interface BlobNameRange {
  /** Only names that start with this. */
  prefix?: string
  /** Only names strictly after this one ... */
  after?: string
  /** ... or at or after this one (the first name past a collapsed `BlobPrefix`). */
  from?: string
  /** At most this many rows. */
  limit: number
}

/** Conditions on a name column for `range` (without its limit), to be and-ed. */
export function nameInRange(column: string, range: BlobNameRange): RawBuilder<SqlBool>[] {
  const ref = sql.ref(column)
  const conditions: RawBuilder<SqlBool>[] = []
  if (range.prefix !== undefined && range.prefix !== '') {
    conditions.push(sql<SqlBool>`${ref} >= ${range.prefix}`)
    const length = [...range.prefix].length
    conditions.push(sql<SqlBool>`substr(${ref}, 1, ${length}) = ${range.prefix}`)
  }
  if (range.after !== undefined) conditions.push(sql<SqlBool>`${ref} > ${range.after}`)
  if (range.from !== undefined) conditions.push(sql<SqlBool>`${ref} >= ${range.from}`)
  return conditions
}
