// The Blob endpoint's pipeline (storage-listener.ts runs it): its URL parser, its operation table
// and its authorization. Bodies are not parsed: the operation gets the raw stream and streams it
// to disk.
import { storagePlugin } from '../storage-listener.js'
import { BlobActions, scopeOf } from './authorize.js'
import type { Call, Service } from './call.js'
import { BlobErrors } from './errors.js'
import { resolveOperation, type Operation } from './operations.js'
import { parseUrl, type BlobTarget } from './target.js'

/** Refuses unless the caller may run the operation. A blob that does not exist yet may also be
 * created with `add/action` (reference §8 table). */
async function authorize(call: Call, operation: Operation): Promise<void> {
  const { authorizer, o } = call.svc
  const scope = scopeOf(call.account.id, call.target)
  const decision = authorizer.decide(call.principalId, operation.action, scope)
  if (decision.allowed) return
  if (
    operation.createsBlob &&
    call.target.container !== undefined &&
    call.target.blob !== undefined
  ) {
    if (authorizer.decide(call.principalId, BlobActions.blobsAdd, scope).allowed) {
      const container = await o.store.blobContainers.fetch(call.account.key, call.target.container)
      if (container === undefined) return
      if ((await o.store.blobs.fetch(container.id, call.target.blob)) === undefined) return
    }
  }
  call.req.log.info(
    { principalId: call.principalId, action: operation.action, scope, reason: decision.reason },
    'blob access refused',
  )
  throw BlobErrors.permissionMismatch()
}

export const blobPlugin = storagePlugin<Service, BlobTarget, Operation>({
  body: { as: 'stream' },
  parseUrl,
  resolveOperation,
  authorize,
  run: (call, operation) => operation.handle(call),
})
