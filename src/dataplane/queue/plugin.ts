// The Queue endpoint's pipeline (storage-listener.ts runs it, as for Blob): its URL parser, its
// operation table and its authorization. Bodies reach operations as strings.
import { MAX_MESSAGE_BYTES } from '../../domain/queue-messages.js'
import { storagePlugin } from '../storage-listener.js'
import { queueScope, queueServiceScope } from './authorize.js'
import type { QueueCall, QueueService } from './call.js'
import { QueueErrors } from './errors.js'
import { resolveQueueOperation, type QueueOperation } from './operations.js'
import { parseQueueUrl, type QueueTarget } from './target.js'

/** Raw XML bodies up to this size are read: 64 KiB of text, escaped at worst 6 bytes a byte,
 * and the envelope. The text's own limit is checked after unescaping (messages.ts). */
export const MAX_BODY_BYTES = MAX_MESSAGE_BYTES * 6 + 1024

function authorize(call: QueueCall, operation: QueueOperation): void {
  const scope =
    call.target.queue === undefined
      ? queueServiceScope(call.account.id)
      : queueScope(call.account.id, call.target.queue)
  const decision = call.svc.authorizer.decide(call.principalId, operation.grant, scope)
  if (decision.allowed) return
  call.req.log.info(
    { principalId: call.principalId, action: decision.action, scope, reason: decision.reason },
    'queue access refused',
  )
  throw QueueErrors.permissionMismatch()
}

export const queuePlugin = storagePlugin<QueueService, QueueTarget, QueueOperation>({
  body: { as: 'string', bodyLimit: MAX_BODY_BYTES },
  parseUrl: parseQueueUrl,
  resolveOperation: resolveQueueOperation,
  authorize,
  run: (call, operation) => operation.handle(call),
})
