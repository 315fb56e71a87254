// The table of Queue operations: which request is which operation, the grants that authorize it
// ([D-STAUTH] permissions for Queue service operations) and its handler. A request is
// recognised by method, by what the path addresses (account, queue, messages, one message)
// and by `comp` (and `peekonly` for Peek Messages).
import { QueueActions as A, type Grant } from './authorize.js'
import type { QueueCall } from './call.js'
import { QueueErrors } from './errors.js'
import {
  clearMessages,
  deleteMessage,
  getMessages,
  peekMessages,
  putMessage,
  updateMessage,
} from './messages.js'
import {
  createQueue,
  deleteQueue,
  getQueueMetadata,
  listQueues,
  setQueueMetadata,
} from './queues.js'
import type { QueueTarget } from './target.js'

export interface QueueOperation {
  name: string
  grant: Grant
  /** Reads an XML body (Put Message, Update Message). */
  hasBody?: boolean
  handle(call: QueueCall): Promise<void>
}

const op = (
  name: string,
  grant: Grant,
  handle: (call: QueueCall) => Promise<void>,
  hasBody = false,
): QueueOperation => ({ name, grant, handle, hasBody })

/** Every operation by `<level> <method> <comp>`; Get Messages with peekonly=true is Peek. */
export const QUEUE_OPERATIONS: Record<string, QueueOperation> = {
  'account GET list': op('ListQueues', [[A.queuesRead]], listQueues),
  'queue PUT ': op('CreateQueue', [[A.queuesWrite]], createQueue),
  'queue DELETE ': op('DeleteQueue', [[A.queuesDelete]], deleteQueue),
  'queue GET metadata': op('GetQueueMetadata', [[A.queuesRead]], getQueueMetadata),
  'queue HEAD metadata': op('GetQueueMetadata', [[A.queuesRead]], getQueueMetadata),
  'queue PUT metadata': op('SetQueueMetadata', [[A.queuesWrite]], setQueueMetadata),
  'messages POST ': op('PutMessage', [[A.messagesAdd], [A.messagesWrite]], putMessage, true),
  'messages GET ': op(
    'GetMessages',
    [[A.messagesProcess], [A.messagesDelete, A.messagesRead]],
    getMessages,
  ),
  'messages GET peek': op('PeekMessages', [[A.messagesRead]], peekMessages),
  'messages DELETE ': op('ClearMessages', [[A.messagesDelete]], clearMessages),
  'message PUT ': op('UpdateMessage', [[A.messagesWrite]], updateMessage, true),
  'message DELETE ': op('DeleteMessage', [[A.messagesProcess], [A.messagesDelete]], deleteMessage),
}

const KNOWN_COMPS = new Set(['list', 'metadata', 'acl', 'properties', 'stats'])
const METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'POST'])

export function resolveQueueOperation(
  method: string,
  target: QueueTarget,
  query: ReadonlyMap<string, string>,
): QueueOperation {
  if (!METHODS.has(method)) throw QueueErrors.unsupportedVerb()
  let comp = (query.get('comp') ?? '').toLowerCase()
  const peekonly = query.get('peekonly')
  if (target.level === 'messages' && method === 'GET' && peekonly !== undefined) {
    if (peekonly.toLowerCase() !== 'true' && peekonly.toLowerCase() !== 'false') {
      throw QueueErrors.invalidQuery('peekonly', peekonly, 'not a boolean')
    }
    if (peekonly.toLowerCase() === 'true' && comp === '') comp = 'peek'
  }
  const found = QUEUE_OPERATIONS[`${target.level} ${method} ${comp}`]
  if (found) return found
  if (comp !== '' && !KNOWN_COMPS.has(comp)) {
    throw QueueErrors.invalidQuery('comp', comp, 'unknown operation')
  }
  if (comp !== '') throw QueueErrors.unsupportedQuery('comp', comp)
  throw QueueErrors.unsupportedVerb()
}
