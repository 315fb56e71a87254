// The table of operations: which request is which operation, the action it is authorized by
// (reference §8 table, [D-STAUTH]) and its handler. A request is recognised by method, by what
// the path addresses (account, container, blob) and by `restype`/`comp`.
import { BlobActions, type BlobAction } from './authorize.js'
import {
  deleteBlob,
  getBlob,
  getBlobMetadata,
  putBlob,
  setBlobMetadata,
  setBlobProperties,
} from './blobs.js'
import { getBlockList, putBlock, putBlockList } from './blocks.js'
import type { BlobCall, Call } from './call.js'
import {
  createContainer,
  deleteContainer,
  getContainerProperties,
  setContainerMetadata,
} from './containers.js'
import { BlobErrors } from './errors.js'
import { listBlobs, listContainers } from './listing.js'
import type { BlobTarget } from './target.js'

export interface Operation {
  name: string
  action: BlobAction
  /** Creates or replaces a blob: `add/action` suffices when the blob does not exist yet. */
  createsBlob?: boolean
  handle(call: Call): Promise<void>
}

const op = (
  name: string,
  action: BlobAction,
  handle: (call: Call) => Promise<void>,
  createsBlob = false,
): Operation => ({ name, action, handle, createsBlob })
const blobOp = (
  name: string,
  action: BlobAction,
  handle: (call: BlobCall) => Promise<void>,
  createsBlob = false,
): Operation => op(name, action, (call) => handle(call as BlobCall), createsBlob)

const A = BlobActions

// Keyed `<level> <method> <comp>`; container-level keys require `restype=container`.
const OPERATIONS: Record<string, Operation> = {
  'account GET list': op('ListContainers', A.containersRead, listContainers),

  'container PUT ': op('CreateContainer', A.containersWrite, createContainer),
  'container GET ': op('GetContainerProperties', A.containersRead, getContainerProperties),
  'container HEAD ': op('GetContainerProperties', A.containersRead, getContainerProperties),
  'container GET metadata': op('GetContainerMetadata', A.containersRead, getContainerProperties),
  'container HEAD metadata': op('GetContainerMetadata', A.containersRead, getContainerProperties),
  'container PUT metadata': op('SetContainerMetadata', A.containersWrite, setContainerMetadata),
  'container DELETE ': op('DeleteContainer', A.containersDelete, deleteContainer),
  'container GET list': op('ListBlobs', A.blobsRead, listBlobs),

  'blob PUT ': blobOp('PutBlob', A.blobsWrite, putBlob, true),
  'blob PUT block': blobOp('PutBlock', A.blobsWrite, putBlock, true),
  'blob PUT blocklist': blobOp('PutBlockList', A.blobsWrite, putBlockList, true),
  'blob GET blocklist': blobOp('GetBlockList', A.blobsRead, getBlockList),
  'blob GET ': blobOp('GetBlob', A.blobsRead, getBlob),
  'blob HEAD ': blobOp('GetBlobProperties', A.blobsRead, getBlob),
  'blob GET metadata': blobOp('GetBlobMetadata', A.blobsRead, getBlobMetadata),
  'blob HEAD metadata': blobOp('GetBlobMetadata', A.blobsRead, getBlobMetadata),
  'blob PUT metadata': blobOp('SetBlobMetadata', A.blobsWrite, setBlobMetadata),
  'blob PUT properties': blobOp('SetBlobProperties', A.blobsWrite, setBlobProperties),
  'blob DELETE ': blobOp('DeleteBlob', A.blobsDelete, deleteBlob),
}

const KNOWN_COMPS = new Set([
  'list',
  'metadata',
  'properties',
  'block',
  'blocklist',
  'acl',
  'lease',
  'snapshot',
  'copy',
  'tags',
  'tier',
  'page',
  'pagelist',
  'appendblock',
  'seal',
  'stats',
  'userdelegationkey',
  'batch',
  'blobs',
  'query',
  'undelete',
  'expiry',
  'rename',
  'immutabilitypolicies',
  'legalhold',
  'incrementalcopy',
])
/** Query parameters that select features Keyless does not serve. */
const UNSUPPORTED_PARAMETERS = ['snapshot', 'versionid']
const METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE'])

export function resolveOperation(
  method: string,
  target: BlobTarget,
  query: ReadonlyMap<string, string>,
): Operation {
  if (!METHODS.has(method)) throw BlobErrors.unsupportedVerb()
  for (const name of UNSUPPORTED_PARAMETERS) {
    const value = query.get(name)
    if (value !== undefined) throw BlobErrors.unsupportedQuery(name, value)
  }
  const comp = (query.get('comp') ?? '').toLowerCase()
  const restype = (query.get('restype') ?? '').toLowerCase()
  let level: string
  if (target.blob !== undefined) level = 'blob'
  else if (target.container !== undefined) {
    // Without restype=container, `/account/name` addresses blob `name` of the root container,
    // which Keyless does not serve.
    if (restype !== 'container') throw BlobErrors.invalidUri()
    level = 'container'
  } else {
    if (restype !== '' && !(restype === 'service' && comp === 'list')) {
      throw BlobErrors.unsupportedQuery('restype', restype)
    }
    level = 'account'
  }
  const found = OPERATIONS[`${level} ${method} ${comp}`]
  if (found) return found
  if (comp !== '' && !KNOWN_COMPS.has(comp)) {
    throw BlobErrors.invalidQuery('comp', comp, 'unknown operation')
  }
  if (comp !== '') throw BlobErrors.unsupportedQuery('comp', comp)
  throw BlobErrors.unsupportedVerb()
}
