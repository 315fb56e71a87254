// Blob operations: Put Blob (201), Get Blob with ranges (200/206), Get Blob Properties (HEAD),
// metadata and properties (200), Delete Blob (202)
// (https://learn.microsoft.com/rest/api/storageservices/operations-on-blobs).
import { createHash } from 'node:crypto'
import { open, type FileHandle } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { KeylessError, unavailableFrom } from '../../domain/errors.js'
import type { BlobRow } from '../../store/schema.js'
import {
  blobHeaders,
  requestedProperties,
  versionHeaders,
  type ContentProperties,
} from './blob-properties.js'
import { type BlobCall, header, refuseLeaseId, requireContainer } from './call.js'
import { commitInContainer } from './commit.js'
import type { WrittenFile } from './content-files.js'
import { checkConditions, hasConditions } from './conditions.js'
import { BlobErrors } from './errors.js'
import { nextEtag } from './etag.js'
import { metadataHeaders, parseMetadata, readMetadata } from './metadata.js'
import { checkBlobName } from './names.js'
import { requestedRange } from './range.js'

const MAX_RANGE_MD5 = 4 * 1024 * 1024

/** The request body as a stream (the plugin's parser hands it over unread), or nothing. */
export function bodyOf(call: BlobCall): Readable | Buffer[] {
  return (call.req.body as Readable | undefined) ?? []
}

/**
 * Streams the body into a new content file. A client that goes away mid-body is not a server
 * failure: it gets (if it still listens) 400 InvalidInput, and the partial file is gone.
 */
export async function receiveBody(call: BlobCall): Promise<WrittenFile> {
  try {
    return await call.svc.files.write(bodyOf(call), call.svc.o.maxBlobBytes)
  } catch (error) {
    if (error instanceof KeylessError) throw error
    // A full disk stops the write, which stops reading the body: the disk is the cause (503).
    const unavailable = unavailableFrom(error)
    if (unavailable) throw unavailable
    if (call.req.raw.destroyed || (error as NodeJS.ErrnoException).code === 'ECONNRESET') {
      throw BlobErrors.invalidInput()
    }
    throw error
  }
}

/** Refuses a declared Content-Length over the limit before a byte is read. */
export function checkDeclaredLength(call: BlobCall): number | undefined {
  const raw = header(call, 'content-length')
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (!Number.isSafeInteger(n) || n < 0) throw BlobErrors.invalidHeader('Content-Length', raw)
  if (n > call.svc.o.maxBlobBytes) throw BlobErrors.bodyTooLarge(call.svc.o.maxBlobBytes)
  return n
}

/** Compares a base64 MD5 header with what the server computed. */
export function checkMd5(call: BlobCall, name: string, computed: Buffer): void {
  const given = header(call, name)
  if (given === undefined || given === '') return
  if (Buffer.from(given, 'base64').toString('base64') !== given || given.length !== 24) {
    throw BlobErrors.invalidHeader(name, given)
  }
  if (!computed.equals(Buffer.from(given, 'base64'))) {
    throw BlobErrors.md5Mismatch(given, computed.toString('base64'))
  }
}

export async function fetchBlob(call: BlobCall, containerId: string): Promise<BlobRow> {
  const row = await call.svc.o.store.blobs.fetch(containerId, call.target.blob)
  if (row === undefined) throw BlobErrors.blobNotFound()
  return row
}

export async function putBlob(call: BlobCall): Promise<void> {
  checkBlobName(call.target.blob)
  const blobType = header(call, 'x-ms-blob-type')
  if (blobType === undefined) throw BlobErrors.missingHeader('x-ms-blob-type')
  if (blobType !== 'BlockBlob') throw BlobErrors.unsupportedHeader('x-ms-blob-type', blobType)
  for (const h of ['x-ms-copy-source', 'x-ms-tags', 'x-ms-encryption-key']) {
    const v = header(call, h)
    if (v !== undefined) throw BlobErrors.unsupportedHeader(h, v)
  }
  refuseLeaseId(call, 'blob')
  const metadata = JSON.stringify(readMetadata(call.req.raw.rawHeaders))
  const properties = requestedProperties(call, true)
  const declared = checkDeclaredLength(call)
  const container = await requireContainer(call)
  const { store } = call.svc.o
  // Unmet conditions fail before the body is read; they are checked again at the commit.
  if (hasConditions(call.req.headers)) {
    checkConditions(
      call.req.headers,
      await store.blobs.fetch(container.id, call.target.blob),
      'create',
    )
  }
  const file = await receiveBody(call)
  const row = await commitInContainer(
    call,
    container.id,
    async (tx) => {
      if (declared !== undefined && declared !== file.size) throw BlobErrors.invalidInput()
      checkMd5(call, 'content-md5', file.md5)
      checkMd5(call, 'x-ms-blob-content-md5', file.md5)
      const current = await tx.blobs.fetch(container.id, call.target.blob)
      checkConditions(call.req.headers, current, 'create')
      const row: BlobRow = {
        container_id: container.id,
        name: call.target.blob,
        content_file: file.name,
        size: file.size,
        ...properties,
        content_md5: file.md5.toString('base64'),
        metadata,
        etag: nextEtag(call.now),
        block_list: '[]',
        created_at: current?.created_at ?? call.now,
        updated_at: call.now,
      }
      await tx.blobs.put(row)
      const blocks = await tx.blobs.deleteBlocks(container.id, call.target.blob)
      return {
        result: row,
        unreachable: [current?.content_file, ...blocks.map((b) => b.content_file)],
      }
    },
    [file.name],
  )
  call.reply
    .code(201)
    .headers({
      ...versionHeaders(row),
      'content-md5': row.content_md5 as string,
      'x-ms-request-server-encrypted': 'true',
    })
    .send()
}

/** Opens the row's file; when an overwrite removed it meanwhile, reads the new row again. */
async function openCurrent(
  call: BlobCall,
  containerId: string,
  row: BlobRow,
): Promise<{ row: BlobRow; fh: FileHandle }> {
  for (let attempt = 0; ; attempt++) {
    try {
      return { row, fh: await open(call.svc.files.path(row.content_file), 'r') }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 5) throw error
      row = await fetchBlob(call, containerId)
    }
  }
}

/** MD5 of a range, read (and decrypted) the way the response body is. */
async function rangeMd5(pieces: AsyncIterable<Buffer>): Promise<string> {
  const hash = createHash('md5')
  for await (const piece of pieces) hash.update(piece)
  return hash.digest('base64')
}

/** The range's bytes as a stream. The first piece is read before any header goes out, so a
 * blob whose content fails authentication is a 500, not a 200 with a broken body; a later
 * chunk that fails aborts the response. */
async function contentStream(pieces: AsyncGenerator<Buffer>): Promise<Readable> {
  const first = await pieces.next()
  return Readable.from(
    (async function* () {
      if (!first.done) yield first.value
      yield* pieces
    })(),
    { objectMode: false },
  )
}

/** Get Blob (GET) and Get Blob Properties (HEAD). */
export async function getBlob(call: BlobCall): Promise<void> {
  const container = await requireContainer(call)
  refuseLeaseId(call, 'blob')
  let row = await fetchBlob(call, container.id)
  if (checkConditions(call.req.headers, row, 'read') === 'not-modified') {
    call.reply.code(304).header('x-ms-error-code', 'ConditionNotMet').headers(versionHeaders(row))
    return void call.reply.send()
  }
  if (call.req.method === 'HEAD') {
    call.reply.code(200).headers(blobHeaders(row)).header('content-length', String(row.size))
    if (row.content_md5 !== null) call.reply.header('content-md5', row.content_md5)
    return void call.reply.send()
  }
  const range = requestedRange(call.req.headers, row.size)
  const wantsMd5 = header(call, 'x-ms-range-get-content-md5') === 'true'
  if (wantsMd5 && (range === undefined || range.end - range.start + 1 > MAX_RANGE_MD5)) {
    throw BlobErrors.invalidHeader('x-ms-range-get-content-md5', 'true')
  }
  const opened = await openCurrent(call, container.id, row)
  row = opened.row
  const { fh } = opened
  const files = call.svc.files
  try {
    const headers = blobHeaders(row)
    if (range === undefined) {
      call.reply.code(200).headers(headers).header('content-length', String(row.size))
      if (row.content_md5 !== null) call.reply.header('content-md5', row.content_md5)
    } else {
      const length = range.end - range.start + 1
      call.reply
        .code(206)
        .headers(headers)
        .header('content-length', String(length))
        .header('content-range', `bytes ${range.start}-${range.end}/${row.size}`)
      if (row.content_md5 !== null) call.reply.header('x-ms-blob-content-md5', row.content_md5)
      if (wantsMd5) {
        const md5 = await rangeMd5(files.read(fh, row.content_file, range.start, range.end))
        call.reply.header('content-md5', md5)
      }
    }
    if (row.size === 0) {
      await fh.close()
      return void call.reply.send()
    }
    const stream = await contentStream(
      files.read(fh, row.content_file, range?.start ?? 0, range?.end ?? row.size - 1),
    )
    stream.once('close', () => void fh.close().catch(() => undefined))
    return void call.reply.send(stream)
  } catch (error) {
    await fh.close()
    throw error
  }
}

export async function getBlobMetadata(call: BlobCall): Promise<void> {
  const container = await requireContainer(call)
  refuseLeaseId(call, 'blob')
  const row = await fetchBlob(call, container.id)
  const status = checkConditions(call.req.headers, row, 'read') === 'not-modified' ? 304 : 200
  const meta = status === 200 ? metadataHeaders(parseMetadata(row.metadata)) : {}
  call.reply
    .code(status)
    .headers({ ...versionHeaders(row), ...meta })
    .send()
}

/** Set Blob Metadata and Set Blob Properties: one row update under the blob's conditions. */
async function updateBlob(
  call: BlobCall,
  changes: (row: BlobRow) => Partial<BlobRow>,
): Promise<void> {
  const container = await requireContainer(call)
  refuseLeaseId(call, 'blob')
  checkConditions(call.req.headers, await fetchBlob(call, container.id), 'write')
  const etag = nextEtag(call.now)
  await commitInContainer(call, container.id, async (tx) => {
    const current = await tx.blobs.fetch(container.id, call.target.blob)
    if (current === undefined) throw BlobErrors.blobNotFound()
    checkConditions(call.req.headers, current, 'write')
    await tx.blobs.update(container.id, call.target.blob, {
      ...changes(current),
      etag,
      updated_at: call.now,
    })
    return { result: undefined, unreachable: [] }
  })
  call.reply
    .code(200)
    .headers({
      ...versionHeaders({ etag, updated_at: call.now }),
      'x-ms-request-server-encrypted': 'true',
    })
    .send()
}

export async function setBlobMetadata(call: BlobCall): Promise<void> {
  const metadata = JSON.stringify(readMetadata(call.req.raw.rawHeaders))
  await updateBlob(call, () => ({ metadata }))
}

export async function setBlobProperties(call: BlobCall): Promise<void> {
  const properties: ContentProperties = requestedProperties(call, false)
  const md5 = header(call, 'x-ms-blob-content-md5')
  if (md5 !== undefined && md5 !== '' && Buffer.from(md5, 'base64').length !== 16) {
    throw BlobErrors.invalidHeader('x-ms-blob-content-md5', md5)
  }
  await updateBlob(call, () => ({ ...properties, content_md5: md5 === '' ? null : (md5 ?? null) }))
}

export async function deleteBlob(call: BlobCall): Promise<void> {
  const container = await requireContainer(call)
  refuseLeaseId(call, 'blob')
  checkConditions(call.req.headers, await fetchBlob(call, container.id), 'write')
  await commitInContainer(call, container.id, async (tx) => {
    const current = await tx.blobs.fetch(container.id, call.target.blob)
    if (current === undefined) throw BlobErrors.blobNotFound()
    checkConditions(call.req.headers, current, 'write')
    await tx.blobs.delete(container.id, call.target.blob)
    const blocks = await tx.blobs.deleteBlocks(container.id, call.target.blob)
    return {
      result: undefined,
      unreachable: [current.content_file, ...blocks.map((b) => b.content_file)],
    }
  })
  call.reply.code(202).header('x-ms-delete-type-permanent', 'true').send()
}
