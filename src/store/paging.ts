// Keyset paging: a page is the rows after the last key of the previous one, so pages stay
// stable while rows are added and cost the same at any depth. The `next` token is the last key,
// base64url-encoded to keep it opaque to callers.
import { BadRequest } from '../domain/errors.js'
import type { Page, PageRequest } from './store.js'

export const DEFAULT_PAGE_SIZE = 100
export const MAX_PAGE_SIZE = 1000

export function pageSize(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_PAGE_SIZE
  return Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(limit)))
}

export function encodeNext(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url')
}

export function decodeNext(token: string): string {
  const key = Buffer.from(token, 'base64url').toString('utf8')
  if (token === '' || encodeNext(key) !== token) {
    throw new BadRequest('InvalidContinuationToken', 'the continuation token is not valid')
  }
  return key
}

/**
 * Reads one page: `query` returns up to `take` rows ordered by key, after `after` when given.
 * One row more than the page is asked for, to know whether another page follows.
 */
export async function readPage<T>(
  page: PageRequest,
  keyOf: (row: T) => string,
  query: (after: string | undefined, take: number) => Promise<T[]>,
): Promise<Page<T>> {
  const limit = pageSize(page.limit)
  const after = page.after === undefined ? undefined : decodeNext(page.after)
  const rows = await query(after, limit + 1)
  if (rows.length <= limit) return { items: rows }
  const items = rows.slice(0, limit)
  return { items, next: encodeNext(keyOf(items[items.length - 1] as T)) }
}
