// Conditional headers (https://learn.microsoft.com/rest/api/storageservices/specifying-conditional-headers-for-blob-service-operations).
// Reads that fail If-None-Match or If-Modified-Since answer 304; every other unmet condition is
// 412 ConditionNotMet, except a create with `If-None-Match: *` over an existing blob, which is
// 409 BlobAlreadyExists. Dates compare at whole seconds, as Last-Modified carries them.
import type { IncomingHttpHeaders } from 'node:http'
import { BlobErrors } from './errors.js'

export interface Versioned {
  etag: string
  /** Epoch ms. */
  updated_at: number
}

export type ConditionKind = 'read' | 'write' | 'create'

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name]
  return Array.isArray(v) ? v.join(',') : v
}

function etagList(value: string): string[] {
  return value
    .split(',')
    .map((t) =>
      t
        .trim()
        .replace(/^W\//, '')
        .replace(/^"(.*)"$/, '$1'),
    )
    .filter((t) => t !== '')
}

function date(headers: IncomingHttpHeaders, name: string): number | undefined {
  const value = header(headers, name)
  if (value === undefined) return undefined
  const ms = Date.parse(value)
  if (Number.isNaN(ms)) throw BlobErrors.invalidHeader(name, value)
  return Math.floor(ms / 1000)
}

/** Whether any conditional header is present. */
export function hasConditions(headers: IncomingHttpHeaders): boolean {
  return ['if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since'].some(
    (h) => headers[h] !== undefined,
  )
}

/**
 * Checks the conditions against the current version (undefined: the blob does not exist).
 * Returns `not-modified` for a read that should answer 304; throws for the other failures.
 */
export function checkConditions(
  headers: IncomingHttpHeaders,
  current: Versioned | undefined,
  kind: ConditionKind,
): 'ok' | 'not-modified' {
  const ifMatch = header(headers, 'if-match')
  if (ifMatch !== undefined) {
    const tags = etagList(ifMatch)
    const matches = current !== undefined && (tags.includes('*') || tags.includes(current.etag))
    if (!matches) throw BlobErrors.conditionNotMet()
  }
  const ifNoneMatch = header(headers, 'if-none-match')
  if (ifNoneMatch !== undefined && current !== undefined) {
    const tags = etagList(ifNoneMatch)
    const star = tags.includes('*')
    if (star || tags.includes(current.etag)) {
      if (kind === 'read') return 'not-modified'
      if (kind === 'create' && star) throw BlobErrors.blobExists()
      throw BlobErrors.conditionNotMet()
    }
  }
  const modified = current === undefined ? undefined : Math.floor(current.updated_at / 1000)
  const since = date(headers, 'if-modified-since')
  if (since !== undefined && modified !== undefined && modified <= since) {
    if (kind === 'read') return 'not-modified'
    throw BlobErrors.conditionNotMet()
  }
  const unmodifiedSince = date(headers, 'if-unmodified-since')
  if (unmodifiedSince !== undefined && modified !== undefined && modified > unmodifiedSince) {
    throw BlobErrors.conditionNotMet()
  }
  return 'ok'
}
