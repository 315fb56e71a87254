// The Queue service's message XML (https://learn.microsoft.com/rest/api/storageservices/put-message#request-body,
// .../get-messages#response-body): the one input, `<QueueMessage><MessageText>`, and the
// `<QueueMessagesList>` every message operation answers with. Flat and fixed, so no parser.
import type { QueueMessageRow } from '../../store/schema.js'
import { httpDate } from '../blob/etag.js'
import { XML_DECLARATION, element, escapeText, isXmlText, unescapeXml } from '../blob/xml.js'
import { QueueErrors } from './errors.js'

const BODY =
  /^<QueueMessage\s*>\s*(?:<MessageText\s*>([^<]*)<\/MessageText\s*>|<MessageText\s*\/>)\s*<\/QueueMessage\s*>$/

/** The MessageText of a Put/Update Message body; InvalidXmlDocument for anything else. */
export function parseMessageText(xml: string): string {
  const rest = xml
    .replace(/^\ufeff/, '')
    .trim()
    .replace(/^<\?xml[^?]*\?>/, '')
    .trim()
  const m = BODY.exec(rest)
  if (!m) throw QueueErrors.invalidXml()
  const text = unescapeXml(m[1] ?? '')
  // What XML 1.0 cannot carry could never be returned in a Get Messages answer.
  if (!isXmlText(text)) throw QueueErrors.invalidXml()
  return text
}

/** What each operation shows of a message: Put hides the text, Peek the receipt. */
export type MessageView = 'put' | 'get' | 'peek'

function messageXml(m: QueueMessageRow, view: MessageView): string {
  const parts = [
    element('MessageId', m.id),
    element('InsertionTime', httpDate(m.inserted_at)),
    element('ExpirationTime', httpDate(m.expires_at)),
  ]
  if (view !== 'peek') parts.push(element('PopReceipt', m.pop_receipt))
  if (view !== 'peek') parts.push(element('TimeNextVisible', httpDate(m.visible_at)))
  if (view !== 'put') parts.push(element('DequeueCount', m.dequeue_count))
  // Written out even when empty: `<MessageText />` would reach the SDK as no text at all.
  if (view !== 'put') parts.push(`<MessageText>${escapeText(m.body)}</MessageText>`)
  return `<QueueMessage>${parts.join('')}</QueueMessage>`
}

export function messagesListXml(messages: readonly QueueMessageRow[], view: MessageView): string {
  const items = messages.map((m) => messageXml(m, view)).join('')
  return `${XML_DECLARATION}<QueueMessagesList>${items}</QueueMessagesList>`
}
