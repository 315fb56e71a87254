// Message operations (https://learn.microsoft.com/rest/api/storageservices/operations-on-messages):
// put (201), get (200, claims and hides), peek (200, changes nothing), update (204, new pop
// receipt), delete (204, with the current pop receipt), clear (204). A 201 is sent only after
// the message's row has committed, so an acknowledged message survives a crash. Delivery is at
// least once: a message whose consumer does not delete it in time is handed out again.
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import {
  DEFAULT_DEQUEUE_VISIBILITY_SECONDS,
  MAX_MESSAGE_BYTES,
  MAX_MESSAGES_PER_GET,
  MAX_TTL_SECONDS,
  MAX_VISIBILITY_SECONDS,
  isMessageSizeAllowed,
  putTimes,
} from '../../domain/queue-messages.js'
import type { QueueMessageRow } from '../../store/schema.js'
import { httpDate } from '../blob/etag.js'
import { type QueueCall, requireQueue } from './call.js'
import { QueueErrors } from './errors.js'
import { messagesListXml, parseMessageText, type MessageView } from './message-xml.js'
import { integerParam } from './params.js'

/** 16 random bytes: a receipt names one dequeue and cannot be guessed. */
const newPopReceipt = () => randomBytes(16).toString('base64url')

function sendList(call: QueueCall, status: number, rows: QueueMessageRow[], view: MessageView) {
  call.reply
    .code(status)
    .header('content-type', 'application/xml')
    .send(messagesListXml(rows, view))
}

/** The message text of the body; RequestBodyTooLarge beyond 64 KiB. */
function messageText(call: QueueCall): string {
  const body = call.req.body
  const text = parseMessageText(typeof body === 'string' ? body : '')
  if (!isMessageSizeAllowed(text)) throw QueueErrors.messageTooLarge(MAX_MESSAGE_BYTES)
  return text
}

export async function putMessage(call: QueueCall): Promise<void> {
  const visibility = integerParam(
    call.query,
    'visibilitytimeout',
    { min: 0, max: MAX_VISIBILITY_SECONDS },
    0,
  )
  const ttl = call.query.has('messagettl')
    ? integerParam(call.query, 'messagettl', { min: -1, max: MAX_TTL_SECONDS })
    : undefined
  const text = messageText(call)
  const queue = await requireQueue(call)
  const times = putTimes(call.now, ttl, visibility)
  if ('kind' in times) {
    if (times.kind === 'ttl-out-of-range') {
      throw QueueErrors.queryOutOfRange('messagettl', String(ttl), -1, MAX_TTL_SECONDS)
    }
    throw QueueErrors.invalidQuery(
      'visibilitytimeout',
      String(visibility),
      'the visibility timeout must end before the message expires',
    )
  }
  const row: QueueMessageRow = {
    id: randomUUID(),
    queue_id: queue.id,
    body: text,
    inserted_at: times.insertedAt,
    expires_at: times.expiresAt,
    visible_at: times.visibleAt,
    dequeue_count: 0,
    pop_receipt: newPopReceipt(),
  }
  await call.svc.o.store.queues.putMessage(row)
  sendList(call, 201, [row], 'put')
}

const countParam = (call: QueueCall) =>
  integerParam(call.query, 'numofmessages', { min: 1, max: MAX_MESSAGES_PER_GET }, 1)

export async function getMessages(call: QueueCall): Promise<void> {
  const count = countParam(call)
  const visibility = integerParam(
    call.query,
    'visibilitytimeout',
    { min: 1, max: MAX_VISIBILITY_SECONDS },
    DEFAULT_DEQUEUE_VISIBILITY_SECONDS,
  )
  const queue = await requireQueue(call)
  const rows = await call.svc.o.store.queues.claimMessages(queue.id, count, {
    now: call.now,
    visibleAt: call.now + visibility * 1000,
    popReceipt: newPopReceipt,
  })
  sendList(call, 200, rows, 'get')
}

export async function peekMessages(call: QueueCall): Promise<void> {
  const count = countParam(call)
  const queue = await requireQueue(call)
  sendList(call, 200, await call.svc.o.store.queues.peekMessages(queue.id, call.now, count), 'peek')
}

export async function clearMessages(call: QueueCall): Promise<void> {
  const queue = await requireQueue(call)
  await call.svc.o.store.queues.clearMessages(queue.id)
  call.reply.code(204).send()
}

function sameReceipt(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/**
 * The addressed message when `popreceipt` is its current receipt: 400 when the parameter is
 * missing, 404 MessageNotFound when the message is gone, 400 PopReceiptMismatch otherwise.
 * The receipt is compared in constant time here; the store's write repeats the condition, so a
 * message claimed again in between is refused too.
 */
async function requireReceipt(call: QueueCall): Promise<{ row: QueueMessageRow; receipt: string }> {
  const receipt = call.query.get('popreceipt')
  if (receipt === undefined) throw QueueErrors.missingQuery('popreceipt')
  if (receipt === '') throw QueueErrors.invalidQuery('popreceipt', receipt, 'empty')
  const queue = await requireQueue(call)
  const row = await call.svc.o.store.queues.fetchMessage(
    queue.id,
    call.target.messageId ?? '',
    call.now,
  )
  if (row === undefined) throw QueueErrors.messageNotFound()
  if (!sameReceipt(row.pop_receipt, receipt)) throw QueueErrors.popReceiptMismatch()
  return { row, receipt }
}

export async function deleteMessage(call: QueueCall): Promise<void> {
  const { row, receipt } = await requireReceipt(call)
  if (!(await call.svc.o.store.queues.deleteMessage(row.queue_id, row.id, receipt))) {
    throw QueueErrors.popReceiptMismatch()
  }
  call.reply.code(204).send()
}

export async function updateMessage(call: QueueCall): Promise<void> {
  const visibility = integerParam(call.query, 'visibilitytimeout', {
    min: 0,
    max: MAX_VISIBILITY_SECONDS,
  })
  const body = call.req.body
  const text = typeof body === 'string' && body.trim() !== '' ? messageText(call) : undefined
  const { row, receipt } = await requireReceipt(call)
  const visibleAt = call.now + visibility * 1000
  if (visibleAt > row.expires_at) {
    throw QueueErrors.invalidQuery(
      'visibilitytimeout',
      String(visibility),
      'the visibility timeout must end before the message expires',
    )
  }
  const changes = {
    visible_at: visibleAt,
    pop_receipt: newPopReceipt(),
    ...(text !== undefined && { body: text }),
  }
  const updated = await call.svc.o.store.queues.updateMessage(
    row.queue_id,
    row.id,
    receipt,
    changes,
  )
  if (updated === undefined) throw QueueErrors.popReceiptMismatch()
  call.reply
    .code(204)
    .headers({
      'x-ms-popreceipt': updated.pop_receipt,
      'x-ms-time-next-visible': httpDate(updated.visible_at),
    })
    .send()
}
