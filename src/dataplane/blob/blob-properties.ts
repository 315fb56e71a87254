// A blob's system properties: read from the request's `x-ms-blob-*` headers (Put Blob falls back
// to the plain HTTP headers of its body), and written back as response headers.
import type { BlobRow } from '../../store/schema.js'
import { type Call, header } from './call.js'
import { httpDate, quoted } from './etag.js'
import { metadataHeaders, parseMetadata } from './metadata.js'

export type ContentProperties = Pick<
  BlobRow,
  'content_type' | 'content_encoding' | 'content_language' | 'content_disposition' | 'cache_control'
>

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream'

const PAIRS: Array<[keyof ContentProperties, string, string | undefined]> = [
  ['content_type', 'x-ms-blob-content-type', 'content-type'],
  ['content_encoding', 'x-ms-blob-content-encoding', 'content-encoding'],
  ['content_language', 'x-ms-blob-content-language', 'content-language'],
  ['content_disposition', 'x-ms-blob-content-disposition', undefined],
  ['cache_control', 'x-ms-blob-cache-control', 'cache-control'],
]

/**
 * The properties a request sets. Properties it does not name are cleared, as Put Block List and
 * Set Blob Properties do; Put Blob (`withBodyHeaders`) also reads its body's own headers.
 */
export function requestedProperties(call: Call, withBodyHeaders: boolean): ContentProperties {
  const out = {} as ContentProperties
  for (const [column, blobHeader, bodyHeader] of PAIRS) {
    const value =
      header(call, blobHeader) ??
      (withBodyHeaders && bodyHeader !== undefined ? header(call, bodyHeader) : undefined)
    out[column] = value === undefined || value === '' ? null : value
  }
  if (withBodyHeaders && out.content_type === null) out.content_type = DEFAULT_CONTENT_TYPE
  return out
}

export function versionHeaders(row: Pick<BlobRow, 'etag' | 'updated_at'>) {
  return { etag: quoted(row.etag), 'last-modified': httpDate(row.updated_at) }
}

/** The headers of Get Blob and Get Blob Properties, without Content-Length and Content-MD5. */
export function blobHeaders(row: BlobRow): Record<string, string> {
  const out: Record<string, string> = {
    ...versionHeaders(row),
    'x-ms-creation-time': httpDate(row.created_at),
    'content-type': row.content_type ?? DEFAULT_CONTENT_TYPE,
    'x-ms-blob-type': 'BlockBlob',
    'x-ms-lease-status': 'unlocked',
    'x-ms-lease-state': 'available',
    'x-ms-server-encrypted': 'true',
    'x-ms-access-tier': 'Hot',
    'x-ms-access-tier-inferred': 'true',
    'accept-ranges': 'bytes',
    ...metadataHeaders(parseMetadata(row.metadata)),
  }
  if (row.content_encoding !== null) out['content-encoding'] = row.content_encoding
  if (row.content_language !== null) out['content-language'] = row.content_language
  if (row.content_disposition !== null) out['content-disposition'] = row.content_disposition
  if (row.cache_control !== null) out['cache-control'] = row.cache_control
  return out
}
