// ARM list paging (reference §2): `$top` caps a page, `$skiptoken` continues one, and every page
// but the last carries an absolute `nextLink` that SDKs follow verbatim, so it repeats the
// api-version. The token is the store's opaque continuation token.
import type { PageRequest } from '../store/store.js'
import { ArmErrors } from './errors.js'

const MAX_TOP = 1000

/** A query parameter by name, any casing (`$skipToken` and `$skiptoken` both occur). */
export function queryParam(query: unknown, name: string): unknown {
  if (typeof query !== 'object' || query === null) return undefined
  const wanted = name.toLowerCase()
  return Object.entries(query).find(([k]) => k.toLowerCase() === wanted)?.[1]
}

function single(query: unknown, name: string): string | undefined {
  const v = queryParam(query, name)
  if (v === undefined) return undefined
  if (typeof v !== 'string')
    throw ArmErrors.invalidQuery(name, String(v), 'it is given more than once')
  return v
}

/** `$filter`, for the lists that take one (each parses its own grammar). */
export function readFilter(query: unknown): string | undefined {
  const filter = single(query, '$filter')
  return filter === '' ? undefined : filter
}

/** `$top` and `$skiptoken`; `$filter` is refused unless the list reads it (`filtered`). */
export function readPageRequest(query: unknown, o: { filtered?: boolean } = {}): PageRequest {
  const top = single(query, '$top')
  const after = single(query, '$skiptoken')
  const filter = single(query, '$filter')
  // Answering a filtered list with everything would mislead the caller: refuse it instead.
  if (filter !== undefined && !o.filtered) {
    throw ArmErrors.invalidQuery('$filter', filter, 'this list does not support $filter')
  }
  const page: PageRequest = {}
  if (top !== undefined) {
    const n = Number(top)
    if (!/^\d+$/.test(top) || n < 1 || n > MAX_TOP) {
      throw ArmErrors.invalidQuery('$top', top, `it must be an integer from 1 to ${MAX_TOP}`)
    }
    page.limit = n
  }
  if (after !== undefined && after !== '') page.after = after
  return page
}

export interface LinkContext {
  /** The server's public base URL. */
  base: string
  /** The normalized request path. */
  path: string
  apiVersion: string
  /** Repeated on every page: the continuation token is only valid with the same filter. */
  filter?: string
}

export function nextLink(
  c: LinkContext,
  page: PageRequest,
  next: string | undefined,
): string | undefined {
  if (next === undefined) return undefined
  const q = new URLSearchParams({ 'api-version': c.apiVersion })
  if (c.filter !== undefined) q.set('$filter', c.filter)
  if (page.limit !== undefined) q.set('$top', String(page.limit))
  q.set('$skiptoken', next)
  return `${c.base}${encodePath(c.path)}?${q.toString()}`
}

export function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/')
}

/** Where a list request came from: enough to build its next page's link. */
export interface ListRequest {
  publicUrl: () => string
  path: string
  apiVersion: string
}

/** One page of a list as ARM returns it, linking to the next page of the same request. */
export function pageBody<T>(
  c: ListRequest,
  page: PageRequest,
  value: T[],
  next: string | undefined,
  filter?: string,
): { value: T[]; nextLink?: string } {
  const base = { base: c.publicUrl(), path: c.path, apiVersion: c.apiVersion, filter }
  return listBody(value, nextLink(base, page, next))
}

/** ARM's list body: `value` always an array, `nextLink` only when another page follows. */
export function listBody<T>(
  value: T[],
  link: string | undefined,
): { value: T[]; nextLink?: string } {
  return link === undefined ? { value } : { value, nextLink: link }
}
