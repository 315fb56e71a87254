// Queue operations: list (200), create (201, or 204 when it exists with the same metadata),
// delete (204), get metadata (200 with the approximate message count), set metadata (204)
// (https://learn.microsoft.com/rest/api/storageservices/operations-on-queues).
import { randomUUID } from 'node:crypto'
import { Conflict } from '../../domain/errors.js'
import type { QueueRow } from '../../store/schema.js'
import {
  decodeMarker,
  echo,
  encodeMarker,
  includes,
  maxResults,
  metadataXml,
} from '../blob/listing.js'
import { metadataHeaders, parseMetadata, readMetadata, type Metadata } from '../blob/metadata.js'
import { checkContainerName } from '../blob/names.js'
import { XML_DECLARATION, element, escapeXml } from '../blob/xml.js'
import { type QueueCall, queueName, requireQueue } from './call.js'
import { QueueErrors } from './errors.js'

const QUEUE_INCLUDES = new Set(['metadata'])

/** Metadata names compare case-insensitively; values exactly. */
function sameMetadata(a: Metadata, b: Metadata): boolean {
  const norm = (m: Metadata) =>
    JSON.stringify(
      Object.entries(m)
        .map(([k, v]) => [k.toLowerCase(), v])
        .sort(([x], [y]) => ((x as string) < (y as string) ? -1 : 1)),
    )
  return norm(a) === norm(b)
}

export async function createQueue(call: QueueCall): Promise<void> {
  const name = queueName(call)
  // Queue names follow the container rules: 3-63 of a-z, 0-9 and single hyphens inside.
  checkContainerName(name)
  const metadata = readMetadata(call.req.raw.rawHeaders)
  const row: QueueRow = {
    id: randomUUID(),
    account_key: call.account.key,
    name,
    metadata: JSON.stringify(metadata),
    created_at: call.now,
  }
  try {
    await call.svc.o.store.queues.create(row)
  } catch (error) {
    if (!(error instanceof Conflict)) throw error
    const existing = await call.svc.o.store.queues.fetch(call.account.key, name)
    if (existing && sameMetadata(parseMetadata(existing.metadata), metadata)) {
      call.reply.code(204).send()
      return
    }
    throw QueueErrors.queueExists()
  }
  call.reply.code(201).send()
}

export async function deleteQueue(call: QueueCall): Promise<void> {
  const row = await requireQueue(call)
  if (!(await call.svc.o.store.queues.delete(row.id))) throw QueueErrors.queueNotFound()
  call.reply.code(204).send()
}

export async function getQueueMetadata(call: QueueCall): Promise<void> {
  const row = await requireQueue(call)
  const count = await call.svc.o.store.queues.countMessages(row.id, call.now)
  call.reply
    .code(200)
    .headers({
      ...metadataHeaders(parseMetadata(row.metadata)),
      'x-ms-approximate-messages-count': String(count),
    })
    .send()
}

export async function setQueueMetadata(call: QueueCall): Promise<void> {
  const metadata = readMetadata(call.req.raw.rawHeaders)
  const row = await requireQueue(call)
  if (!(await call.svc.o.store.queues.updateMetadata(row.id, JSON.stringify(metadata)))) {
    throw QueueErrors.queueNotFound()
  }
  call.reply.code(204).send()
}

export async function listQueues(call: QueueCall): Promise<void> {
  const limit = maxResults(call)
  const withMetadata = includes(call, QUEUE_INCLUDES).has('metadata')
  const cursor = decodeMarker(call.query.get('marker'))
  const rows = await call.svc.o.store.queues.list(call.account.key, {
    prefix: call.query.get('prefix'),
    ...cursor,
    limit: limit + 1,
  })
  const page = rows.slice(0, limit)
  const last = page[page.length - 1]
  const next = rows.length > limit && last ? encodeMarker({ after: last.name }) : ''
  const items = page
    .map(
      (r) =>
        `<Queue>${element('Name', r.name)}${withMetadata ? metadataXml(parseMetadata(r.metadata)) : ''}</Queue>`,
    )
    .join('')
  const endpoint = `${call.svc.endpoint()}/${call.account.name}/`
  call.reply
    .code(200)
    .header('content-type', 'application/xml')
    .send(
      `${XML_DECLARATION}<EnumerationResults ServiceEndpoint="${escapeXml(endpoint)}">` +
        echo(call, ['prefix', 'marker', 'maxresults']) +
        (items === '' ? '<Queues />' : `<Queues>${items}</Queues>`) +
        element('NextMarker', next) +
        '</EnumerationResults>',
    )
}
