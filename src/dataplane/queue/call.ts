// One request on its way through the Queue pipeline (plugin.ts): what it addresses, who is
// calling, and the service-wide parts the handlers use.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { QueueRow } from '../../store/schema.js'
import type { Account } from '../blob/call.js'
import type { QueueAuthorizer } from './authorize.js'
import { QueueErrors } from './errors.js'
import type { ResolvedQueueOptions } from './options.js'
import type { QueueTarget } from './target.js'

export interface QueueService {
  o: ResolvedQueueOptions
  authorizer: QueueAuthorizer
  /** `https://host:port` as clients reach it. */
  endpoint(): string
}

export interface QueueCall {
  svc: QueueService
  req: FastifyRequest
  reply: FastifyReply
  target: QueueTarget
  query: ReadonlyMap<string, string>
  account: Account
  principalId: string
  now: number
}

export function queueName(call: QueueCall): string {
  const name = call.target.queue
  if (name === undefined) throw QueueErrors.invalidUri()
  return name
}

/** The addressed queue, or 404 QueueNotFound. */
export async function requireQueue(call: QueueCall): Promise<QueueRow> {
  const row = await call.svc.o.store.queues.fetch(call.account.key, queueName(call))
  if (row === undefined) throw QueueErrors.queueNotFound()
  return row
}
