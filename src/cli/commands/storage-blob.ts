// `keyless storage container create|list` and `keyless storage blob upload|download|list|delete`,
// as `az storage … --auth-mode login`: the Blob REST API with a bearer token, as the operator or
// `--as` a compute resource. As in Azure, the operator (Owner) needs a Storage Blob Data role on
// the account to touch data; the refusal names the missing permission.
import { readFileSync, writeFileSync } from 'node:fs'
import type { Command } from 'commander'
import { apiCommand, examples, type Context } from '../command.js'
import {
  accountOptions,
  blobUrl,
  dataClient,
  STORAGE_API_VERSION,
  STORAGE_RESOURCE,
  type DataFlags,
} from '../data-plane.js'
import type { Column } from '../output.js'
import { element, elements, unescapeXml } from '../storage-xml.js'

type Flags = DataFlags & {
  accountName: string
  containerName?: string
  name?: string
  file?: string
  overwrite?: boolean
  prefix?: string
}

interface Listed {
  name: string
  lastModified?: string
  contentLength?: number
  contentType?: string
}

/** The items of a List Containers or List Blobs page, and its NextMarker. */
function listPage(xml: string, item: 'Container' | 'Blob'): { items: Listed[]; next?: string } {
  const items = elements(xml, item).map((body) => {
    const length = element(body, 'Content-Length')
    return {
      name: unescapeXml(element(body, 'Name') ?? ''),
      lastModified: element(body, 'Last-Modified'),
      ...(length !== undefined ? { contentLength: Number(length) } : {}),
      ...(element(body, 'Content-Type') ? { contentType: element(body, 'Content-Type') } : {}),
    }
  })
  const next = element(xml, 'NextMarker')
  return next ? { items, next } : { items }
}

const listedColumns: Column<Listed>[] = [
  { header: 'Name', value: (r) => r.name },
  { header: 'Length', value: (r) => r.contentLength },
  { header: 'ContentType', value: (r) => r.contentType },
  { header: 'LastModified', value: (r) => r.lastModified },
]

const VERSION = { 'x-ms-version': STORAGE_API_VERSION }
const seg = (s: string) => encodeURIComponent(s)

async function listAll(ctx: Context, flags: Flags, base: string, item: 'Container' | 'Blob') {
  const send = dataClient(ctx, flags, STORAGE_RESOURCE)
  const items: Listed[] = []
  let marker: string | undefined
  do {
    const url = new URL(base)
    if (item === 'Blob') url.searchParams.set('restype', 'container')
    url.searchParams.set('comp', 'list')
    if (flags.prefix) url.searchParams.set('prefix', flags.prefix)
    if (marker) url.searchParams.set('marker', marker)
    const page = listPage(
      (await send({ method: 'GET', url: url.href, headers: VERSION })).text,
      item,
    )
    items.push(...page.items)
    marker = page.next
  } while (marker)
  return items
}

export function registerStorageData(storage: Command): void {
  const container = storage.command('container').description('manage blob containers')
  examples(
    apiCommand<Flags>(
      accountOptions(container.command('create').description('create a container')).requiredOption(
        '-n, --name <name>',
        'container name',
      ),
      async (ctx, _args, flags) => {
        const send = dataClient(ctx, flags, STORAGE_RESOURCE)
        const url = `${await blobUrl(ctx, flags.accountName)}${seg(flags.name!)}?restype=container`
        const res = await send({ method: 'PUT', url, headers: VERSION })
        ctx.print({ created: res.status === 201, name: flags.name }, [
          { header: 'Name', value: (r: { name?: string }) => r.name },
        ])
      },
    ),
    ['keyless storage container create --account-name data1 -n reports'],
  )
  examples(
    apiCommand<Flags>(
      accountOptions(container.command('list').description('list the containers')).option(
        '--prefix <prefix>',
        'only names that start with it',
      ),
      async (ctx, _args, flags) =>
        ctx.print(
          await listAll(ctx, flags, await blobUrl(ctx, flags.accountName), 'Container'),
          listedColumns,
        ),
    ),
    ['keyless storage container list --account-name data1 -o table'],
  )

  const blob = storage.command('blob').description('upload, download, list and delete blobs')
  const inContainer = (cmd: Command) =>
    accountOptions(cmd).requiredOption('-c, --container-name <name>', 'the container')
  const blobAt = async (ctx: Context, flags: Flags) =>
    `${await blobUrl(ctx, flags.accountName)}${seg(flags.containerName!)}/${flags
      .name!.split('/')
      .map(seg)
      .join('/')}`

  examples(
    apiCommand<Flags>(
      inContainer(blob.command('upload').description('upload a file as a block blob'))
        .requiredOption('-n, --name <name>', 'blob name')
        .requiredOption('-f, --file <path>', 'the file to upload')
        .option('--overwrite', 'replace a blob of that name (default: refuse, as az does)'),
      async (ctx, _args, flags) => {
        const send = dataClient(ctx, flags, STORAGE_RESOURCE)
        const body = readFileSync(flags.file!)
        const res = await send({
          method: 'PUT',
          url: await blobAt(ctx, flags),
          headers: {
            ...VERSION,
            'x-ms-blob-type': 'BlockBlob',
            'content-type': 'application/octet-stream',
            ...(flags.overwrite ? {} : { 'if-none-match': '*' }),
          },
          body,
        })
        const result = {
          name: flags.name,
          container: flags.containerName,
          etag: res.headers.etag,
          contentLength: body.length,
        }
        ctx.print(result, [
          { header: 'Name', value: (r: typeof result) => r.name },
          { header: 'Length', value: (r: typeof result) => r.contentLength },
          { header: 'ETag', value: (r: typeof result) => r.etag },
        ])
      },
    ),
    ['keyless storage blob upload --account-name data1 -c reports -n 2026/q4.csv -f ./q4.csv'],
  )
  examples(
    apiCommand<Flags>(
      inContainer(blob.command('download').description('download a blob to a file'))
        .requiredOption('-n, --name <name>', 'blob name')
        .requiredOption('-f, --file <path>', 'where to write it'),
      async (ctx, _args, flags) => {
        const send = dataClient(ctx, flags, STORAGE_RESOURCE)
        const res = await send({ method: 'GET', url: await blobAt(ctx, flags), headers: VERSION })
        const bytes = res.body ?? Buffer.from(res.text)
        writeFileSync(flags.file!, bytes)
        const result = { name: flags.name, file: flags.file, contentLength: bytes.length }
        ctx.print(result, [
          { header: 'Name', value: (r: typeof result) => r.name },
          { header: 'Length', value: (r: typeof result) => r.contentLength },
          { header: 'File', value: (r: typeof result) => r.file },
        ])
      },
    ),
    ['keyless storage blob download --account-name data1 -c reports -n 2026/q4.csv -f q4.csv'],
  )
  examples(
    apiCommand<Flags>(
      inContainer(blob.command('list').description('list the blobs of a container')).option(
        '--prefix <prefix>',
        'only names that start with it',
      ),
      async (ctx, _args, flags) => {
        const base = `${await blobUrl(ctx, flags.accountName)}${seg(flags.containerName!)}`
        ctx.print(await listAll(ctx, flags, base, 'Blob'), listedColumns)
      },
    ),
    ['keyless storage blob list --account-name data1 -c reports --prefix 2026/'],
  )
  examples(
    apiCommand<Flags>(
      inContainer(blob.command('delete').description('delete a blob')).requiredOption(
        '-n, --name <name>',
        'blob name',
      ),
      async (ctx, _args, flags) => {
        const send = dataClient(ctx, flags, STORAGE_RESOURCE)
        await send({ method: 'DELETE', url: await blobAt(ctx, flags), headers: VERSION })
        ctx.print({ deleted: true, name: flags.name }, [
          { header: 'Name', value: (r: { name?: string }) => r.name },
        ])
      },
    ),
    ['keyless storage blob delete --account-name data1 -c reports -n 2026/q4.csv'],
  )
}
