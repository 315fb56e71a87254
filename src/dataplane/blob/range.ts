// Byte ranges for Get Blob (https://learn.microsoft.com/rest/api/storageservices/specifying-the-range-header-for-blob-service-operations).
// `x-ms-range` wins over `Range`. Both take `bytes=start-` or `bytes=start-end` (inclusive); a
// start past the end is 416 InvalidRange, an end past it is cut at the end. A malformed
// `x-ms-range` is refused; a malformed `Range` is ignored, as HTTP allows.
import type { IncomingHttpHeaders } from 'node:http'
import { BlobErrors } from './errors.js'

export interface ByteRange {
  start: number
  /** Inclusive. */
  end: number
}

const RANGE = /^bytes=(\d+)-(\d*)$/

export function requestedRange(headers: IncomingHttpHeaders, size: number): ByteRange | undefined {
  const xms = headers['x-ms-range']
  const http = headers.range
  const raw = typeof xms === 'string' ? xms : typeof http === 'string' ? http : undefined
  if (raw === undefined) return undefined
  const m = RANGE.exec(raw.trim())
  if (!m) {
    if (typeof xms === 'string') throw BlobErrors.invalidHeader('x-ms-range', xms)
    return undefined
  }
  const start = Number(m[1])
  const end = m[2] === '' ? Number.MAX_SAFE_INTEGER : Number(m[2])
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) {
    if (typeof xms === 'string') throw BlobErrors.invalidHeader('x-ms-range', xms)
    return undefined
  }
  if (start >= size) throw BlobErrors.invalidRange(size)
  return { start, end: Math.min(end, size - 1) }
}
