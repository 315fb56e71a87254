import type { Kysely } from 'kysely'
import { NotFound } from '../domain/errors.js'
import type { Database } from './schema.js'

/** Kysely skips undefined values, and an update with nothing to set is not valid SQL. */
export function hasChanges(changes: object): boolean {
  return Object.values(changes).some((value) => value !== undefined)
}

export function affectedRows(count: bigint | undefined): number {
  return Number(count ?? 0n)
}

/** Deletes the rows of `table` whose `expires_at` is at or before `cutoff`; returns how many. */
export async function pruneExpired(
  db: Kysely<Database>,
  table: 'join_tokens' | 'used_assertion_ids' | 'portal_sessions',
  cutoff: number,
): Promise<number> {
  const result = await db.deleteFrom(table).where('expires_at', '<=', cutoff).executeTakeFirst()
  return affectedRows(result.numDeletedRows)
}

export function assertFound(found: boolean, code: string, message: string): void {
  if (!found) throw new NotFound(code, message)
}
