// `keyless storage queue create|list|delete` and `keyless storage message
// put|get|peek|delete|clear`, as `az storage queue|message … --auth-mode login`: the Queue REST
// API at the account's `properties.primaryEndpoints.queue` with a bearer token, as the operator
// or `--as` a compute resource. As for blobs, the operator (Owner) needs a Storage Queue Data
// role on the account to touch queues; the refusal is 403 AuthorizationPermissionMismatch.
import type { Command } from 'commander'
import { apiCommand, examples, type Context } from '../command.js'
import {
  accountOptions,
  dataClient,
  queueUrl,
  STORAGE_API_VERSION,
  STORAGE_RESOURCE,
  type DataFlags,
} from '../data-plane.js'
import { CliError, EXIT } from '../errors.js'
import type { Column } from '../output.js'
import { element, elements, escapeXml, isoTime, unescapeXml } from '../storage-xml.js'

type Flags = DataFlags & {
  accountName: string
  name?: string
  queueName?: string
  metadata?: string[]
  prefix?: string
  includeMetadata?: boolean
  content?: string
  visibilityTimeout?: string
  timeToLive?: string
  numMessages?: string
  id?: string
  popReceipt?: string
}

/** A message as az prints it (`az storage message get`), with what the operation shows. */
interface Message {
  id?: string
  content?: string
  dequeueCount?: number
  insertionTime?: string
  expirationTime?: string
  popReceipt?: string
  timeNextVisible?: string
}

const VERSION = { 'x-ms-version': STORAGE_API_VERSION }
const seg = (s: string) => encodeURIComponent(s)

const messages = (xml: string): Message[] =>
  elements(xml, 'QueueMessage').map((m) => {
    const text = element(m, 'MessageText')
    const count = element(m, 'DequeueCount')
    return {
      id: element(m, 'MessageId'),
      ...(text !== undefined ? { content: unescapeXml(text) } : {}),
      ...(count !== undefined ? { dequeueCount: Number(count) } : {}),
      insertionTime: isoTime(m, 'InsertionTime'),
      expirationTime: isoTime(m, 'ExpirationTime'),
      ...(element(m, 'PopReceipt') ? { popReceipt: unescapeXml(element(m, 'PopReceipt')!) } : {}),
      ...(element(m, 'TimeNextVisible') ? { timeNextVisible: isoTime(m, 'TimeNextVisible') } : {}),
    }
  })

const messageColumns: Column<Message>[] = [
  { header: 'Id', value: (r) => r.id },
  { header: 'Content', value: (r) => r.content },
  { header: 'DequeueCount', value: (r) => r.dequeueCount },
  { header: 'PopReceipt', value: (r) => r.popReceipt },
  { header: 'TimeNextVisible', value: (r) => r.timeNextVisible },
]

/** `--metadata k=v k2=v2`, as az takes it, as x-ms-meta-* headers. */
function metadataHeaders(pairs: readonly string[] = []): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new CliError(EXIT.usage, `metadata '${pair}' is not key=value`, 'BadArgs')
    headers[`x-ms-meta-${pair.slice(0, eq)}`] = pair.slice(eq + 1)
  }
  return headers
}

const inQueue = (cmd: Command) =>
  accountOptions(cmd).requiredOption('-q, --queue-name <name>', 'the queue')

const messagesUrl = async (
  ctx: Context,
  flags: Flags,
  query: Record<string, string | undefined>,
) => {
  const url = new URL(`${await queueUrl(ctx, flags.accountName)}${seg(flags.queueName!)}/messages`)
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v)
  return url.href
}

export function registerStorageQueues(storage: Command): void {
  const queue = storage.command('queue').description('manage storage queues')
  examples(
    apiCommand<Flags>(
      accountOptions(queue.command('create').description('create a queue'))
        .requiredOption('-n, --name <name>', 'queue name')
        .option('--metadata <key=value...>', 'metadata, space-separated'),
      async (ctx, _args, flags) => {
        const send = dataClient(ctx, flags, STORAGE_RESOURCE)
        const res = await send({
          method: 'PUT',
          url: `${await queueUrl(ctx, flags.accountName)}${seg(flags.name!)}`,
          headers: { ...VERSION, ...metadataHeaders(flags.metadata) },
        })
        // 204: it exists already with the same metadata, which az reports as not created.
        const result = { created: res.status === 201, name: flags.name }
        ctx.print(result, [
          { header: 'Name', value: (r: typeof result) => r.name },
          { header: 'Created', value: (r: typeof result) => r.created },
        ])
      },
    ),
    ['keyless storage queue create --account-name data1 -n orders --metadata team=shop'],
  )
  examples(
    apiCommand<Flags>(
      accountOptions(queue.command('list').description('list the queues'))
        .option('--prefix <prefix>', 'only names that start with it')
        .option('--include-metadata', 'with each queue its metadata'),
      async (ctx, _args, flags) => {
        const send = dataClient(ctx, flags, STORAGE_RESOURCE)
        const base = await queueUrl(ctx, flags.accountName)
        const items: { name: string; metadata?: Record<string, string> }[] = []
        let marker: string | undefined
        do {
          const url = new URL(base)
          url.searchParams.set('comp', 'list')
          if (flags.prefix) url.searchParams.set('prefix', flags.prefix)
          if (flags.includeMetadata) url.searchParams.set('include', 'metadata')
          if (marker) url.searchParams.set('marker', marker)
          const xml = (await send({ method: 'GET', url: url.href, headers: VERSION })).text
          for (const q of elements(xml, 'Queue')) {
            const meta = /<Metadata>([\s\S]*?)<\/Metadata>/.exec(q)?.[1]
            items.push({
              name: unescapeXml(element(q, 'Name') ?? ''),
              ...(flags.includeMetadata ? { metadata: metadataOf(meta ?? '') } : {}),
            })
          }
          marker = element(xml, 'NextMarker') || undefined
        } while (marker)
        ctx.print(items, [{ header: 'Name', value: (r: (typeof items)[number]) => r.name }])
      },
    ),
    ['keyless storage queue list --account-name data1 --prefix ord -o table'],
  )
  examples(
    apiCommand<Flags>(
      accountOptions(
        queue.command('delete').description('delete a queue and its messages'),
      ).requiredOption('-n, --name <name>', 'queue name'),
      async (ctx, _args, flags) => {
        const send = dataClient(ctx, flags, STORAGE_RESOURCE)
        const url = `${await queueUrl(ctx, flags.accountName)}${seg(flags.name!)}`
        await send({ method: 'DELETE', url, headers: VERSION })
        ctx.print({ deleted: true, name: flags.name }, [
          { header: 'Name', value: (r: { name?: string }) => r.name },
        ])
      },
    ),
    ['keyless storage queue delete --account-name data1 -n orders'],
  )

  const message = storage.command('message').description('put, get, peek and delete messages')
  examples(
    apiCommand<Flags>(
      inQueue(message.command('put').description('put a message at the back of a queue'))
        .requiredOption('--content <text>', 'the message text')
        .option('--visibility-timeout <seconds>', 'hidden this long first (default 0)')
        .option('--time-to-live <seconds>', 'kept this long, -1 for ever (default 7 days)'),
      async (ctx, _args, flags) => {
        const send = dataClient(ctx, flags, STORAGE_RESOURCE)
        const url = await messagesUrl(ctx, flags, {
          visibilitytimeout: flags.visibilityTimeout,
          messagettl: flags.timeToLive,
        })
        const body = `<QueueMessage><MessageText>${escapeXml(flags.content!)}</MessageText></QueueMessage>`
        const res = await send({
          method: 'POST',
          url,
          headers: { ...VERSION, 'content-type': 'application/xml' },
          body,
        })
        const [put] = messages(res.text)
        ctx.print({ ...put, content: flags.content }, messageColumns)
      },
    ),
    ['keyless storage message put --account-name data1 -q orders --content "order 42"'],
  )
  examples(
    apiCommand<Flags>(
      inQueue(message.command('get').description('take messages, hiding them for a while'))
        .option('--num-messages <n>', 'up to this many, 1 to 32 (default 1)')
        .option('--visibility-timeout <seconds>', 'hidden this long (default 30)'),
      async (ctx, _args, flags) => {
        const send = dataClient(ctx, flags, STORAGE_RESOURCE)
        const url = await messagesUrl(ctx, flags, {
          numofmessages: flags.numMessages,
          visibilitytimeout: flags.visibilityTimeout,
        })
        ctx.print(
          messages((await send({ method: 'GET', url, headers: VERSION })).text),
          messageColumns,
        )
      },
    ),
    ['keyless storage message get --account-name data1 -q orders --num-messages 5 --as <vm id>'],
  )
  examples(
    apiCommand<Flags>(
      inQueue(message.command('peek').description('look at messages without taking them')).option(
        '--num-messages <n>',
        'up to this many, 1 to 32 (default 1)',
      ),
      async (ctx, _args, flags) => {
        const send = dataClient(ctx, flags, STORAGE_RESOURCE)
        const url = await messagesUrl(ctx, flags, {
          peekonly: 'true',
          numofmessages: flags.numMessages,
        })
        ctx.print(
          messages((await send({ method: 'GET', url, headers: VERSION })).text),
          messageColumns,
        )
      },
    ),
    ['keyless storage message peek --account-name data1 -q orders --num-messages 32'],
  )
  examples(
    apiCommand<Flags>(
      inQueue(message.command('delete').description('delete a message taken with get'))
        .requiredOption('--id <id>', 'the message id')
        .requiredOption('--pop-receipt <receipt>', 'the pop receipt its get returned'),
      async (ctx, _args, flags) => {
        const send = dataClient(ctx, flags, STORAGE_RESOURCE)
        const base = await messagesUrl(ctx, flags, {})
        const url = new URL(`${base}/${seg(flags.id!)}`)
        url.searchParams.set('popreceipt', flags.popReceipt!)
        await send({ method: 'DELETE', url: url.href, headers: VERSION })
        ctx.print({ deleted: true, id: flags.id }, [
          { header: 'Id', value: (r: { id?: string }) => r.id },
        ])
      },
    ),
    ['keyless storage message delete --account-name data1 -q orders --id <id> --pop-receipt <r>'],
  )
  examples(
    apiCommand<Flags>(
      inQueue(message.command('clear').description('delete every message of a queue')),
      async (ctx, _args, flags) => {
        const send = dataClient(ctx, flags, STORAGE_RESOURCE)
        await send({ method: 'DELETE', url: await messagesUrl(ctx, flags, {}), headers: VERSION })
        ctx.print({ cleared: true, queue: flags.queueName }, [
          { header: 'Queue', value: (r: { queue?: string }) => r.queue },
        ])
      },
    ),
    ['keyless storage message clear --account-name data1 -q orders'],
  )
}

/** `<Key>value</Key>` pairs of a `<Metadata>` element. */
function metadataOf(xml: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of xml.matchAll(/<([\w-]+)>([^<]*)<\/\1>/g)) out[m[1]!] = unescapeXml(m[2]!)
  return out
}
