// List Containers and List Blobs, flat and by hierarchy (reference §8 "XML";
// https://learn.microsoft.com/rest/api/storageservices/list-containers2, .../list-blobs).
// Pages hold at most `maxresults` entries (BlobPrefix entries count), and NextMarker, an opaque
// resume point, is present only when more follow. `<Blobs>` is always written: the SDK reads
// `.blobItems` from it unconditionally.
import type { BlobContainerRow, BlobRow } from '../../store/schema.js'
import type { BlobNameRange } from '../../store/blob-names.js'
import { type Call, requireContainer, serviceEndpoint } from './call.js'
import { BlobErrors } from './errors.js'
import { httpDate, quoted } from './etag.js'
import { parseMetadata, type Metadata } from './metadata.js'
import { XML_DECLARATION, element, escapeXml, nameElement } from './xml.js'

const MAX_RESULTS = 5000
const CONTAINER_INCLUDES = new Set(['metadata', 'deleted', 'system'])
const BLOB_INCLUDES = new Set([
  'copy',
  'deleted',
  'metadata',
  'snapshots',
  'uncommittedblobs',
  'versions',
  'tags',
  'immutabilitypolicy',
  'legalhold',
  'deletedwithversions',
  'permissions',
])

/** Where a page resumes: after a name, or at the first name past a collapsed prefix. */
type Cursor = Pick<BlobNameRange, 'after' | 'from'>

export function encodeMarker(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url')
}

export function decodeMarker(marker: string | undefined): Cursor {
  if (marker === undefined || marker === '') return {}
  try {
    const c = JSON.parse(Buffer.from(marker, 'base64url').toString('utf8')) as Cursor
    if (typeof c.after === 'string' && c.from === undefined) return { after: c.after }
    if (typeof c.from === 'string' && c.after === undefined) return { from: c.from }
  } catch {
    // falls through to the error below
  }
  throw BlobErrors.invalidQuery('marker', marker, 'not a marker this service returned')
}

/** The request's `maxresults`: 1 or more, capped at 5000 (the Blob and Queue services' page). */
export function maxResults(call: Pick<Call, 'query'>): number {
  const raw = call.query.get('maxresults')
  if (raw === undefined) return MAX_RESULTS
  if (!/^-?\d+$/.test(raw)) throw BlobErrors.invalidQuery('maxresults', raw, 'not an integer')
  const n = Number(raw)
  if (n < 1) throw BlobErrors.queryOutOfRange('maxresults', raw, 1, 2_147_483_647)
  return Math.min(n, MAX_RESULTS)
}

export function includes(call: Pick<Call, 'query'>, allowed: ReadonlySet<string>): Set<string> {
  const raw = call.query.get('include')
  const out = new Set<string>()
  if (raw === undefined || raw === '') return out
  for (const item of raw.split(',').map((s) => s.trim().toLowerCase())) {
    if (!allowed.has(item)) throw BlobErrors.invalidQuery('include', raw, `unknown value '${item}'`)
    out.add(item)
  }
  return out
}

export function metadataXml(metadata: Metadata): string {
  const items = Object.entries(metadata).map(([k, v]) => element(k, v))
  return items.length === 0 ? '<Metadata />' : `<Metadata>${items.join('')}</Metadata>`
}

/** The request's echo: Prefix, Marker, MaxResults (and Delimiter) as given. */
export function echo(call: Pick<Call, 'query'>, names: readonly string[]): string {
  const tags: Record<string, string> = {
    prefix: 'Prefix',
    marker: 'Marker',
    maxresults: 'MaxResults',
    delimiter: 'Delimiter',
  }
  return names
    .filter((n) => call.query.has(n))
    .map((n) => element(tags[n] as string, call.query.get(n)))
    .join('')
}

function sendXml(call: Call, xml: string): void {
  call.reply.code(200).header('content-type', 'application/xml').send(`${XML_DECLARATION}${xml}`)
}

function containerXml(row: BlobContainerRow, withMetadata: boolean): string {
  const properties =
    element('Last-Modified', httpDate(row.updated_at)) +
    element('Etag', quoted(row.etag)) +
    element('LeaseStatus', 'unlocked') +
    element('LeaseState', 'available') +
    element('DefaultEncryptionScope', '$account-encryption-key') +
    element('DenyEncryptionScopeOverride', 'false') +
    element('HasImmutabilityPolicy', 'false') +
    element('HasLegalHold', 'false') +
    element('ImmutableStorageWithVersioningEnabled', 'false')
  const metadata = withMetadata ? metadataXml(parseMetadata(row.metadata)) : ''
  return `<Container>${element('Name', row.name)}<Properties>${properties}</Properties>${metadata}</Container>`
}

export async function listContainers(call: Call): Promise<void> {
  const limit = maxResults(call)
  const include = includes(call, CONTAINER_INCLUDES)
  const prefix = call.query.get('prefix')
  const cursor = decodeMarker(call.query.get('marker'))
  const rows = await call.svc.o.store.blobContainers.list(call.account.key, {
    prefix,
    ...cursor,
    limit: limit + 1,
  })
  const page = rows.slice(0, limit)
  const last = page[page.length - 1]
  const next = rows.length > limit && last ? encodeMarker({ after: last.name }) : ''
  const items = page.map((r) => containerXml(r, include.has('metadata'))).join('')
  sendXml(
    call,
    `<EnumerationResults ServiceEndpoint="${escapeXml(serviceEndpoint(call))}">` +
      echo(call, ['prefix', 'marker', 'maxresults']) +
      (items === '' ? '<Containers />' : `<Containers>${items}</Containers>`) +
      element('NextMarker', next) +
      '</EnumerationResults>',
  )
}

function blobXml(row: BlobRow, withMetadata: boolean): string {
  const properties =
    element('Creation-Time', httpDate(row.created_at)) +
    element('Last-Modified', httpDate(row.updated_at)) +
    element('Etag', row.etag) +
    element('Content-Length', row.size) +
    element('Content-Type', row.content_type ?? 'application/octet-stream') +
    element('Content-Encoding', row.content_encoding) +
    element('Content-Language', row.content_language) +
    element('Content-CRC64', '') +
    element('Content-MD5', row.content_md5) +
    element('Cache-Control', row.cache_control) +
    element('Content-Disposition', row.content_disposition) +
    element('BlobType', 'BlockBlob') +
    element('AccessTier', 'Hot') +
    element('AccessTierInferred', 'true') +
    element('LeaseStatus', 'unlocked') +
    element('LeaseState', 'available') +
    element('ServerEncrypted', 'true')
  const metadata = withMetadata ? metadataXml(parseMetadata(row.metadata)) : ''
  return `<Blob>${nameElement(row.name)}<Properties>${properties}</Properties>${metadata}<OrMetadata /></Blob>`
}

/** The first string after every string that starts with `prefix` (binary order). */
function pastPrefix(prefix: string): string | undefined {
  const points = [...prefix]
  const last = points.pop()
  if (last === undefined) return undefined
  const code = last.codePointAt(0) as number
  if (code >= 0x10ffff) return undefined
  // Skip the surrogate range, which no valid string holds.
  const next = code + 1 === 0xd800 ? 0xe000 : code + 1
  return points.join('') + String.fromCodePoint(next)
}

export async function listBlobs(call: Call): Promise<void> {
  const limit = maxResults(call)
  const include = includes(call, BLOB_INCLUDES)
  const prefix = call.query.get('prefix') ?? ''
  const delimiter = call.query.get('delimiter') ?? ''
  const container = await requireContainer(call)
  const store = call.svc.o.store
  let cursor = decodeMarker(call.query.get('marker'))
  const items: string[] = []
  let more = false
  let exhausted = false
  while (items.length < limit && !exhausted) {
    const want = limit - items.length
    const rows = await store.blobs.list(container.id, { prefix, ...cursor, limit: want + 1 })
    exhausted = rows.length <= want
    for (const row of rows) {
      if (items.length === limit) {
        more = true
        break
      }
      const at = delimiter === '' ? -1 : row.name.indexOf(delimiter, prefix.length)
      if (at < 0) {
        items.push(blobXml(row, include.has('metadata')))
        cursor = { after: row.name }
        continue
      }
      // Every name under this prefix collapses into one BlobPrefix: resume past all of them.
      const blobPrefix = row.name.slice(0, at + delimiter.length)
      items.push(`<BlobPrefix>${nameElement(blobPrefix)}</BlobPrefix>`)
      const past = pastPrefix(blobPrefix)
      cursor = past === undefined ? { after: row.name } : { from: past }
      exhausted = false
      break
    }
  }
  if (!more && items.length === limit && !exhausted) {
    more = (await store.blobs.list(container.id, { prefix, ...cursor, limit: 1 })).length > 0
  }
  sendXml(
    call,
    `<EnumerationResults ServiceEndpoint="${escapeXml(serviceEndpoint(call))}" ContainerName="${escapeXml(container.name)}">` +
      echo(call, ['prefix', 'marker', 'maxresults', 'delimiter']) +
      `<Blobs>${items.join('')}</Blobs>` +
      element('NextMarker', more ? encodeMarker(cursor) : '') +
      '</EnumerationResults>',
  )
}
