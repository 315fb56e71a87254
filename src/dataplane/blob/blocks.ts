// Staged uploads (https://learn.microsoft.com/rest/api/storageservices/put-block,
// .../put-block-list, .../get-block-list): each block is its own durable file until a block list
// commits; the commit writes the blocks, in list order, into one new content file, then swaps
// it in with the blob's row and discards every staged block of the blob.
import { createHash } from 'node:crypto'
import type { BlobBlockRow, BlobRow } from '../../store/schema.js'
import { requestedProperties, versionHeaders } from './blob-properties.js'
import { bodyOf, checkDeclaredLength, checkMd5, receiveBody } from './blobs.js'
import { type BlobCall, header, refuseLeaseId, requireContainer } from './call.js'
import { commitInContainer } from './commit.js'
import { checkConditions, hasConditions } from './conditions.js'
import type { Part } from './content-files.js'
import { BlobErrors } from './errors.js'
import { nextEtag } from './etag.js'
import { readMetadata } from './metadata.js'
import { checkBlobName } from './names.js'
import { XML_DECLARATION, element, parseBlockList, type BlockListEntry } from './xml.js'

/** A Put Block List body: 50,000 entries of at most 64-byte ids fit well within this. */
const MAX_BLOCK_LIST_BYTES = 8 * 1024 * 1024
const COMMIT_ATTEMPTS = 3

export interface CommittedBlock {
  id: string
  size: number
}

function blockId(call: BlobCall): string {
  const id = call.query.get('blockid')
  if (id === undefined || id === '') throw BlobErrors.invalidQuery('blockid', '', 'missing')
  const bytes = Buffer.from(id, 'base64')
  if (bytes.toString('base64') !== id || bytes.length === 0 || bytes.length > 64) {
    throw BlobErrors.invalidQuery('blockid', id, 'not a Base64 value of at most 64 bytes')
  }
  return id
}

export async function putBlock(call: BlobCall): Promise<void> {
  checkBlobName(call.target.blob)
  const id = blockId(call)
  refuseLeaseId(call, 'blob')
  const declared = checkDeclaredLength(call)
  const container = await requireContainer(call)
  const file = await receiveBody(call)
  await commitInContainer(
    call,
    container.id,
    async (tx) => {
      if (declared !== undefined && declared !== file.size) throw BlobErrors.invalidInput()
      checkMd5(call, 'content-md5', file.md5)
      const replaced = await tx.blobs.stageBlock({
        container_id: container.id,
        blob_name: call.target.blob,
        block_id: id,
        content_file: file.name,
        size: file.size,
        created_at: call.now,
      })
      return { result: undefined, unreachable: [replaced?.content_file] }
    },
    [file.name],
  )
  call.reply
    .code(201)
    .headers({
      'content-md5': file.md5.toString('base64'),
      'x-ms-request-server-encrypted': 'true',
    })
    .send()
}

async function readBody(call: BlobCall, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of bodyOf(call)) {
    size += (chunk as Buffer).length
    if (size > limit) throw BlobErrors.bodyTooLarge(limit)
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

interface Plan {
  current: BlobRow | undefined
  parts: Part[]
  blocks: CommittedBlock[]
  /** The staged blocks the plan reads, by id → file, to check they are unchanged at commit. */
  usedStaged: Map<string, string>
}

/** Which bytes the new blob is made of: staged blocks, or ranges of the current content. */
function plan(
  entries: readonly BlockListEntry[],
  current: BlobRow | undefined,
  staged: readonly BlobBlockRow[],
): Plan {
  const stagedById = new Map(staged.map((b) => [b.block_id, b]))
  const committed = new Map<string, Part>()
  let offset = 0
  for (const b of current === undefined
    ? []
    : (JSON.parse(current.block_list) as CommittedBlock[])) {
    if (!committed.has(b.id)) {
      committed.set(b.id, { file: current!.content_file, start: offset, length: b.size })
    }
    offset += b.size
  }
  const out: Plan = { current, parts: [], blocks: [], usedStaged: new Map() }
  for (const e of entries) {
    const fromStaged = e.kind !== 'Committed' ? stagedById.get(e.id) : undefined
    const fromCommitted = e.kind !== 'Uncommitted' ? committed.get(e.id) : undefined
    if (fromStaged !== undefined) {
      out.parts.push({ file: fromStaged.content_file, start: 0, length: fromStaged.size })
      out.blocks.push({ id: e.id, size: fromStaged.size })
      out.usedStaged.set(e.id, fromStaged.content_file)
    } else if (fromCommitted !== undefined) {
      out.parts.push(fromCommitted)
      out.blocks.push({ id: e.id, size: fromCommitted.length })
    } else {
      throw BlobErrors.invalidBlockList()
    }
  }
  return out
}

class PlanChanged extends Error {}

export async function putBlockList(call: BlobCall): Promise<void> {
  checkBlobName(call.target.blob)
  refuseLeaseId(call, 'blob')
  const metadata = JSON.stringify(readMetadata(call.req.raw.rawHeaders))
  const properties = requestedProperties(call, false)
  const blobMd5 = header(call, 'x-ms-blob-content-md5')
  if (blobMd5 !== undefined && blobMd5 !== '' && Buffer.from(blobMd5, 'base64').length !== 16) {
    throw BlobErrors.invalidHeader('x-ms-blob-content-md5', blobMd5)
  }
  const xml = await readBody(call, MAX_BLOCK_LIST_BYTES)
  const xmlMd5 = createHash('md5').update(xml).digest()
  checkMd5(call, 'content-md5', xmlMd5)
  const entries = parseBlockList(xml.toString('utf8'))
  const container = await requireContainer(call)
  const { store } = call.svc.o
  const name = call.target.blob
  const max = call.svc.o.maxBlobBytes

  for (let attempt = 1; ; attempt++) {
    const current = await store.blobs.fetch(container.id, name)
    if (hasConditions(call.req.headers)) checkConditions(call.req.headers, current, 'create')
    const p = plan(entries, current, await store.blobs.listBlocks(container.id, name))
    if (p.blocks.reduce((n, b) => n + b.size, 0) > max) throw BlobErrors.blobTooLarge(max)
    let file
    try {
      file = await call.svc.files.concat(p.parts, max)
    } catch (error) {
      // An overwrite deleted the content the plan copies committed blocks from: plan again.
      const gone = (error as NodeJS.ErrnoException).code === 'ENOENT'
      if (gone && attempt < COMMIT_ATTEMPTS) continue
      throw gone ? BlobErrors.conditionNotMet() : error
    }
    try {
      const row = await commitInContainer(
        call,
        container.id,
        async (tx) => {
          // The plan read the current content and the staged blocks outside this transaction:
          // if either changed meanwhile, plan again.
          const now = await tx.blobs.fetch(container.id, name)
          if (now?.etag !== p.current?.etag) throw new PlanChanged()
          const stagedNow = new Map(
            (await tx.blobs.listBlocks(container.id, name)).map((b) => [
              b.block_id,
              b.content_file,
            ]),
          )
          for (const [id, f] of p.usedStaged) if (stagedNow.get(id) !== f) throw new PlanChanged()
          checkConditions(call.req.headers, now, 'create')
          const row: BlobRow = {
            container_id: container.id,
            name,
            content_file: file.name,
            size: file.size,
            ...properties,
            content_md5: blobMd5 === undefined || blobMd5 === '' ? null : blobMd5,
            metadata,
            etag: nextEtag(call.now),
            block_list: JSON.stringify(p.blocks),
            created_at: now?.created_at ?? call.now,
            updated_at: call.now,
          }
          await tx.blobs.put(row)
          const discarded = await tx.blobs.deleteBlocks(container.id, name)
          return {
            result: row,
            unreachable: [now?.content_file, ...discarded.map((b) => b.content_file)],
          }
        },
        [file.name],
      )
      call.reply
        .code(201)
        .headers({
          ...versionHeaders(row),
          'content-md5': xmlMd5.toString('base64'),
          'x-ms-request-server-encrypted': 'true',
        })
        .send()
      return
    } catch (error) {
      if (!(error instanceof PlanChanged) || attempt >= COMMIT_ATTEMPTS) {
        if (error instanceof PlanChanged) throw BlobErrors.conditionNotMet()
        throw error
      }
    }
  }
}

function blockXml(blocks: readonly CommittedBlock[]): string {
  return blocks
    .map((b) => `<Block>${element('Name', b.id)}${element('Size', b.size)}</Block>`)
    .join('')
}

export async function getBlockList(call: BlobCall): Promise<void> {
  const type = (call.query.get('blocklisttype') ?? 'committed').toLowerCase()
  if (!['committed', 'uncommitted', 'all'].includes(type)) {
    throw BlobErrors.invalidQuery('blocklisttype', type, 'must be committed, uncommitted or all')
  }
  const container = await requireContainer(call)
  refuseLeaseId(call, 'blob')
  const { store } = call.svc.o
  const current = await store.blobs.fetch(container.id, call.target.blob)
  const staged = await store.blobs.listBlocks(container.id, call.target.blob)
  if (current === undefined && staged.length === 0) throw BlobErrors.blobNotFound()
  let body = ''
  if (type !== 'uncommitted') {
    const committed =
      current === undefined ? [] : (JSON.parse(current.block_list) as CommittedBlock[])
    body += `<CommittedBlocks>${blockXml(committed)}</CommittedBlocks>`
  }
  if (type !== 'committed') {
    const uncommitted = staged.map((b) => ({ id: b.block_id, size: b.size }))
    body += `<UncommittedBlocks>${blockXml(uncommitted)}</UncommittedBlocks>`
  }
  if (current !== undefined) call.reply.headers(versionHeaders(current))
  call.reply
    .code(200)
    .header('content-type', 'application/xml')
    .header('x-ms-blob-content-length', String(current?.size ?? 0))
    .send(`${XML_DECLARATION}<BlockList>${body}</BlockList>`)
}
