// Random HTTP requests for the fuzz (issue 11.5), as fast-check arbitraries: methods, paths
// built from each surface's own route words and hostile ones, query strings, headers, JSON and
// XML bodies, content types and lengths. Requests are sent with node's http(s) clients, and a
// share of them as raw bytes over TLS, so that lengths can lie.
import fc from 'fast-check'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { connect } from 'node:tls'

export interface FuzzRequest {
  method: string
  path: string
  headers: Record<string, string>
  body?: Buffer
  /** Sent as raw bytes with this Content-Length, whatever the body's real length. */
  lyingLength?: number
}

export interface FuzzAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

const HOSTILE = [
  '..',
  '%2e%2e',
  '%2F',
  '%00',
  '%',
  '%zz',
  '~',
  'İ',
  'ı',
  'K',
  '\u212a',
  'a'.repeat(300),
  '$metadata',
  '{id}',
  '*',
  ';',
  '"',
  "'",
  '<x>',
  '%E2%80%AE',
  '',
]

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'PROPFIND', 'TRACE']
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/xml',
  'text/xml',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  'application/jwt',
  'application/merge-patch+json',
  '',
  ';;;',
  'application/json; charset=utf-16',
]
const QUERY_KEYS = [
  'api-version',
  'comp',
  'restype',
  'blockid',
  'blocklisttype',
  'maxresults',
  'marker',
  'prefix',
  '$filter',
  '$top',
  '$skipToken',
  'after',
  'wait',
  'resource',
  'client_id',
  'object_id',
  'mi_res_id',
  'x',
]
const QUERY_VALUES = [
  '2021-04-01',
  '2023-07-01',
  '7.4',
  '2019-08-01',
  'list',
  'blocklist',
  'block',
  'container',
  'metadata',
  'properties',
  '-1',
  '0',
  '99999999999999999999',
  'NaN',
  "principalId eq 'x'",
  'https://vault.azure.net',
  'YQ==',
  '%',
  '',
]

const segment = (words: readonly string[]) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...words) },
    { weight: 2, arbitrary: fc.constantFrom(...HOSTILE) },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }).map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.uuid() },
  )

const xml = fc
  .array(fc.constantFrom('Committed', 'Uncommitted', 'Latest', 'Block', 'x'), { maxLength: 4 })
  .chain((tags) =>
    fc.constantFrom(
      `<?xml version="1.0"?><BlockList>${tags.map((t) => `<${t}>YQ==</${t}>`).join('')}</BlockList>`,
      `<BlockList><Latest>${'A'.repeat(100)}</Latest>`,
      '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><BlockList><Latest>&e;</Latest></BlockList>',
      `<a>${'<b>'.repeat(200)}</a>`,
    ),
  )

const body = fc.oneof(
  { weight: 3, arbitrary: fc.json({ maxDepth: 4 }).map((s) => Buffer.from(s)) },
  { weight: 2, arbitrary: xml.map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((s) => Buffer.from(s)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      Buffer.from('{"__proto__":{"x":1},"constructor":{"prototype":{}}}'),
      Buffer.from('{"a":'.repeat(5000)),
      Buffer.from('grant_type=client_credentials&scope=%'),
      Buffer.alloc(1_100_000, 0x61),
      Buffer.alloc(70_000, 0x7b),
    ),
  },
)

/** Requests to a surface whose routes are made of `words`, after a fixed `prefix`. */
export function fuzzRequests(
  prefix: string,
  words: readonly string[],
  authorizations: readonly string[],
): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      method: fc.oneof(
        { weight: 8, arbitrary: fc.constantFrom(...METHODS) },
        { weight: 1, arbitrary: fc.stringMatching(/^[A-Z]{1,8}$/) },
      ),
      segments: fc.array(segment(words), { maxLength: 8 }),
      doubleSlash: fc.boolean(),
      trailingSlash: fc.boolean(),
      query: fc.array(fc.tuple(fc.constantFrom(...QUERY_KEYS), fc.constantFrom(...QUERY_VALUES)), {
        maxLength: 4,
      }),
      contentType: fc.option(fc.constantFrom(...CONTENT_TYPES)),
      authorization: fc.option(fc.constantFrom(...authorizations)),
      extra: fc.dictionary(
        fc.constantFrom(
          'x-ms-version',
          'x-ms-blob-type',
          'if-match',
          'if-none-match',
          'range',
          'x-ms-range',
          'metadata',
          'x-identity-header',
          'x-ms-meta-a',
          'accept',
          'content-encoding',
          'transfer-encoding-x',
        ),
        fc.constantFrom(
          '2023-11-03',
          'BlockBlob',
          '*',
          '"x"',
          'bytes=0-',
          'bytes=9-1',
          'true',
          'gzip',
          'x',
        ),
        { maxKeys: 3 },
      ),
      body: fc.option(body, { freq: 2 }),
      lie: fc.option(fc.integer({ min: 0, max: 5000 }), { freq: 8 }),
    })
    .map((r) => {
      // Clients percent-encode what a request line cannot carry (non-ASCII, spaces, controls).
      const joined = r.segments
        .map((x) => x.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c)))
        .join(r.doubleSlash ? '//' : '/')
      const query = r.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
      const path = `${prefix}/${joined}${r.trailingSlash ? '/' : ''}${query.length ? `?${query.join('&')}` : ''}`
      const headers: Record<string, string> = { ...r.extra }
      if (r.contentType !== null) headers['content-type'] = r.contentType
      if (r.authorization !== null) headers.authorization = r.authorization
      return {
        method: r.method,
        path,
        headers,
        ...(r.body !== null ? { body: r.body } : {}),
        ...(r.lie !== null && r.body !== null ? { lyingLength: r.lie } : {}),
      }
    })
}

/** Sends `r` to `base` (`https://host:port` or `http://…`); resolves with what came back. */
export function send(base: string, r: FuzzRequest, ca: string): Promise<FuzzAnswer> {
  const url = new URL(base)
  if (r.lyingLength !== undefined && url.protocol === 'https:') return sendRaw(url, r, ca)
  return new Promise((resolve, reject) => {
    const options = {
      method: r.method,
      host: url.hostname,
      port: url.port,
      path: r.path,
      headers: r.headers,
      agent: false as const,
      timeout: 15_000,
      ...(url.protocol === 'https:' ? { ca } : {}),
    }
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(options, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      )
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`no answer to ${r.method} ${r.path}`)))
    req.on('error', (e: NodeJS.ErrnoException) => {
      // The server may close a connection on a body it refuses before reading all of it.
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE')
        return resolve({ status: 0, headers: {}, body: '' })
      // A HEAD request with a body can leave bytes the client's parser does not expect after
      // the answer (seen once in the long fuzz): counted apart (-1), not a server failure.
      if (e.code?.startsWith('HPE_')) return resolve({ status: -1, headers: {}, body: e.message })
      reject(e)
    })
    if (r.body) req.write(r.body)
    req.end()
  })
}

function sendRaw(url: URL, r: FuzzRequest, ca: string): Promise<FuzzAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: url.hostname,
      port: Number(url.port),
      ca,
      servername: undefined,
    })
    const head = [
      `${r.method} ${r.path} HTTP/1.1`,
      `host: ${url.host}`,
      'connection: close',
      `content-length: ${r.lyingLength}`,
      ...Object.entries(r.headers).map(([k, v]) => `${k}: ${v}`),
      '',
      '',
    ].join('\r\n')
    let raw = ''
    socket.setTimeout(5_000, () => socket.end())
    socket.on('secureConnect', () => {
      socket.write(head)
      if (r.body) socket.write(r.body)
      // Fewer bytes than announced: the server waits, then the client gives up (end).
      setTimeout(() => socket.end(), 200).unref()
    })
    socket.on('data', (c: Buffer) => (raw += c.toString('latin1')))
    socket.on('error', (e: NodeJS.ErrnoException) =>
      e.code === 'ECONNRESET' || e.code === 'EPIPE' ? undefined : reject(e),
    )
    socket.on('close', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(raw)
      const split = raw.indexOf('\r\n\r\n')
      const headers: Record<string, string> = {}
      for (const line of raw.slice(0, split).split('\r\n').slice(1)) {
        const i = line.indexOf(':')
        if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim()
      }
      resolve({
        status: m ? Number(m[1]) : 0,
        headers,
        body: split < 0 ? '' : raw.slice(split + 4),
      })
    })
  })
}
