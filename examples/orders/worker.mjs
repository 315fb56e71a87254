// The orders worker: takes the orders app.mjs puts on the `orders` queue and fulfils them. It is
// another workload with its own identity, allowed to take and delete messages (Storage Queue Data
// Message Processor) but not to put them, as app.mjs may put (Message Sender) but not take. Run it
// as its own web app:
//
//   keyless run --as <orders-worker web app id> -- node examples/orders/worker.mjs
//
// Environment (nothing secret):
//   ORDERS_QUEUE_URL  the account's `properties.primaryEndpoints.queue`, i.e. <queueEndpoint>/<account>
//
// Each order taken prints one JSON line, {"taken":{"id":…,"item":…,"quantity":…,"dequeueCount":1}};
// a failed poll prints {"ok":false,"status":403,"code":"AuthorizationPermissionMismatch",…} and
// the worker polls again. `--once` stops when the queue is empty; `--every <ms>` is the pause
// between polls of an empty queue (default 500).
//
// Delivery is at least once: a message taken is hidden for VISIBILITY_SECONDS and comes back
// (its dequeueCount one higher) unless deleted by then, so the worker deletes an order only after
// fulfilling it, and fulfilling must be safe to repeat. An order that keeps coming back is set
// aside after MAX_DEQUEUES attempts instead of blocking the queue for ever.
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { DefaultAzureCredential } from '@azure/identity'
import { QueueServiceClient } from '@azure/storage-queue'

const { values: flags } = parseArgs({
  options: { once: { type: 'boolean' }, every: { type: 'string', default: '500' } },
})
const queueUrl = process.env.ORDERS_QUEUE_URL
if (!queueUrl) throw new Error('ORDERS_QUEUE_URL is not set')

const QUEUE = 'orders'
const VISIBILITY_SECONDS = 30
const MAX_DEQUEUES = 5

const queue = new QueueServiceClient(queueUrl, new DefaultAzureCredential(), {
  retryOptions: { maxTries: 1 },
}).getQueueClient(QUEUE)

/** Fulfils one order; here, says so. Must be safe to repeat (at-least-once delivery). */
function fulfil(order, dequeueCount) {
  const { id, item, quantity } = order
  console.log(JSON.stringify({ taken: { id, item, quantity, dequeueCount } }))
}

/** One poll: takes up to 32 orders and handles each. Returns how many it took. */
async function poll() {
  const { receivedMessageItems: taken } = await queue.receiveMessages({
    numberOfMessages: 32,
    visibilityTimeout: VISIBILITY_SECONDS,
  })
  for (const m of taken) {
    let order
    try {
      order = JSON.parse(m.messageText)
    } catch {
      order = undefined
    }
    if (order === undefined || m.dequeueCount > MAX_DEQUEUES) {
      const reason = order === undefined ? 'not an order' : 'too many attempts'
      console.log(JSON.stringify({ setAside: { messageId: m.messageId, reason } }))
    } else {
      fulfil(order, m.dequeueCount)
    }
    await queue.deleteMessage(m.messageId, m.popReceipt)
  }
  return taken.length
}

for (;;) {
  let taken = 0
  try {
    taken = await poll()
  } catch (e) {
    const line = { ok: false, status: e.statusCode, code: e.details?.errorCode ?? e.code }
    console.log(JSON.stringify({ ...line, message: String(e.message).split(/\r?\n/)[0] }))
    process.exitCode = 1
    if (flags.once) break
  }
  if (taken === 0 && flags.once) break
  if (taken === 0) await sleep(Number(flags.every))
}
