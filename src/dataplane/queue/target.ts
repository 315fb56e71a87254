// What a path-style Queue URL addresses: `/<account>`, `/<account>/<queue>`,
// `/<account>/<queue>/messages` or `/<account>/<queue>/messages/<id>`. The parsing is the Blob
// service's (blob/target.ts); its "blob" part is the rest after the queue.
import { parseUrl } from '../blob/target.js'
import { QueueErrors } from './errors.js'

export type QueueLevel = 'account' | 'queue' | 'messages' | 'message'

export interface QueueTarget {
  level: QueueLevel
  account: string
  queue?: string
  messageId?: string
}

export function parseQueueUrl(rawUrl: string): {
  target: QueueTarget
  query: Map<string, string>
} {
  const { target, query } = parseUrl(rawUrl)
  const { account, container: queue, blob: rest } = target
  if (queue === undefined) return { target: { level: 'account', account }, query }
  if (rest === undefined) return { target: { level: 'queue', account, queue }, query }
  if (rest === 'messages') return { target: { level: 'messages', account, queue }, query }
  const id = rest.startsWith('messages/') ? rest.slice('messages/'.length) : ''
  if (id === '' || id.includes('/')) throw QueueErrors.invalidUri()
  return { target: { level: 'message', account, queue, messageId: id }, query }
}
