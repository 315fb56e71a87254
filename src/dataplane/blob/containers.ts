// Container operations: create (201), properties and metadata (200), set metadata (200),
// delete (202) (https://learn.microsoft.com/rest/api/storageservices/operations-on-containers).
import { randomUUID } from 'node:crypto'
import { Conflict } from '../../domain/errors.js'
import type { BlobContainerRow } from '../../store/schema.js'
import { type Call, containerName, header, refuseLeaseId, requireContainer } from './call.js'
import { checkConditions } from './conditions.js'
import { BlobErrors } from './errors.js'
import { httpDate, nextEtag, quoted } from './etag.js'
import { metadataHeaders, parseMetadata, readMetadata } from './metadata.js'
import { checkContainerName } from './names.js'

function versionHeaders(row: Pick<BlobContainerRow, 'etag' | 'updated_at'>) {
  return { etag: quoted(row.etag), 'last-modified': httpDate(row.updated_at) }
}

export async function createContainer(call: Call): Promise<void> {
  const name = containerName(call)
  checkContainerName(name)
  const access = header(call, 'x-ms-blob-public-access')
  if (access !== undefined && access !== '') throw BlobErrors.publicAccessNotPermitted()
  const row: BlobContainerRow = {
    id: randomUUID(),
    account_key: call.account.key,
    name,
    metadata: JSON.stringify(readMetadata(call.req.raw.rawHeaders)),
    etag: nextEtag(call.now),
    created_at: call.now,
    updated_at: call.now,
  }
  try {
    await call.svc.o.store.blobContainers.create(row)
  } catch (error) {
    if (error instanceof Conflict) throw BlobErrors.containerExists()
    throw error
  }
  call.reply.code(201).headers(versionHeaders(row)).send()
}

/** Get Container Properties and Get Container Metadata: headers only. */
export async function getContainerProperties(call: Call): Promise<void> {
  const row = await requireContainer(call)
  refuseLeaseId(call, 'container')
  call.reply
    .code(200)
    .headers({
      ...versionHeaders(row),
      ...metadataHeaders(parseMetadata(row.metadata)),
      'x-ms-lease-status': 'unlocked',
      'x-ms-lease-state': 'available',
      'x-ms-has-immutability-policy': 'false',
      'x-ms-has-legal-hold': 'false',
      'x-ms-default-encryption-scope': '$account-encryption-key',
      'x-ms-deny-encryption-scope-override': 'false',
      'x-ms-immutable-storage-with-versioning-enabled': 'false',
    })
    .send()
}

export async function setContainerMetadata(call: Call): Promise<void> {
  const metadata = readMetadata(call.req.raw.rawHeaders)
  const row = await requireContainer(call)
  refuseLeaseId(call, 'container')
  checkConditions(call.req.headers, row, 'write')
  const changes = {
    metadata: JSON.stringify(metadata),
    etag: nextEtag(call.now),
    updated_at: call.now,
  }
  if (!(await call.svc.o.store.blobContainers.update(row.id, changes))) {
    throw BlobErrors.containerNotFound()
  }
  call.reply.code(200).headers(versionHeaders(changes)).send()
}

export async function deleteContainer(call: Call): Promise<void> {
  const row = await requireContainer(call)
  refuseLeaseId(call, 'container')
  checkConditions(call.req.headers, row, 'write')
  const store = call.svc.o.store
  const files = await store.transaction(async (tx) => {
    const names = await tx.blobs.listContainerFiles(row.id)
    if (!(await tx.blobContainers.delete(row.id))) throw BlobErrors.containerNotFound()
    return names
  })
  await call.svc.files.remove(files)
  call.reply.code(202).send()
}
