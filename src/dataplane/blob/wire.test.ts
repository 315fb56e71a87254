// The Blob service's wire details that the SDK tests cannot reach (exact XML, error codes for
// unsupported features, ranges, listings), over a real store and files with fake tokens and
// access decisions (test-service.ts).
import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { code, md5, startTestService, token, type Res, type TestService } from './test-service.js'

const MAX = 1024 * 1024

describe('blob service on the wire', () => {
  let t: TestService
  const send: TestService['send'] = (...a) => t.send(...a)
  const put: TestService['put'] = (...a) => t.put(...a)

  before(async () => {
    t = await startTestService(MAX)
    assert.equal((await send('PUT', '/box?restype=container')).status, 201)
  })
  after(async () => t?.close())

  it('writes errors as Azure XML with x-ms-error-code, and only the header on HEAD', async () => {
    const res = await send('GET', '/nobox?restype=container')
    assert.deepEqual(code(res), [404, 'ContainerNotFound'])
    assert.equal(res.headers['content-type'], 'application/xml')
    assert.match(
      res.text,
      /^<\?xml version="1.0" encoding="utf-8"\?><Error><Code>ContainerNotFound<\/Code><Message>The specified container does not exist.\nRequestId:[0-9a-f-]{36}\nTime:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z<\/Message><\/Error>$/,
    )
    const head = await send('HEAD', '/nobox?restype=container')
    assert.deepEqual(code(head), [404, 'ContainerNotFound'])
    assert.equal(head.text, '')
  })

  it('refuses what Keyless does not serve with Azure codes', async () => {
    const cases: Array<[string, Promise<Res>, number, string]> = [
      ['a lease', send('PUT', '/box/a?comp=lease'), 400, 'UnsupportedQueryParameter'],
      ['an unknown comp', send('GET', '/box/a?comp=bogus'), 400, 'InvalidQueryParameterValue'],
      ['a snapshot', send('GET', '/box/a?snapshot=2026-01-01'), 400, 'UnsupportedQueryParameter'],
      ['PATCH', send('PATCH', '/box/a'), 405, 'UnsupportedHttpVerb'],
      [
        'a page blob',
        put('/box/p', '', { 'x-ms-blob-type': 'PageBlob' }),
        400,
        'UnsupportedHeader',
      ],
      ['no blob type', send('PUT', '/box/p', { body: 'x' }), 400, 'MissingRequiredHeader'],
      ['the root container', send('GET', '/box'), 400, 'InvalidUri'],
      [
        'a lease id',
        send('GET', '/box?restype=container', { headers: { 'x-ms-lease-id': 'l' } }),
        412,
        'LeaseNotPresentWithContainerOperation',
      ],
      [
        'public access',
        send('PUT', '/pub?restype=container', { headers: { 'x-ms-blob-public-access': 'blob' } }),
        409,
        'PublicAccessNotPermitted',
      ],
      ['a short container name', send('PUT', '/ab?restype=container'), 400, 'InvalidResourceName'],
      [
        'bad metadata',
        send('PUT', '/meta?restype=container', { headers: { 'x-ms-meta-1bad': 'v' } }),
        400,
        'InvalidMetadata',
      ],
      [
        'metadata over 8 KiB',
        send('PUT', '/meta?restype=container', { headers: { 'x-ms-meta-big': 'v'.repeat(8200) } }),
        400,
        'MetadataTooLarge',
      ],
      [
        'another audience',
        send('GET', '/?comp=list', {
          headers: { authorization: `Bearer ${token('writer', 'https://vault.azure.net')}` },
        }),
        401,
        'InvalidAuthenticationInfo',
      ],
      [
        'no permission',
        send('GET', '/?comp=list', { as: 'nobody' }),
        403,
        'AuthorizationPermissionMismatch',
      ],
      [
        'bad maxresults',
        send('GET', '/?comp=list&maxresults=0'),
        400,
        'OutOfRangeQueryParameterValue',
      ],
      [
        'a foreign marker',
        send('GET', '/box?restype=container&comp=list&marker=xyz'),
        400,
        'InvalidQueryParameterValue',
      ],
      [
        'an unknown include',
        send('GET', '/box?restype=container&comp=list&include=everything'),
        400,
        'InvalidQueryParameterValue',
      ],
    ]
    for (const [name, res, status, errorCode] of cases) {
      assert.deepEqual(code(await res), [status, errorCode], name)
    }
  })

  it('validates Content-MD5 on Put Blob and Put Block and returns the MD5 it computed', async () => {
    const bad = await put('/box/m', 'hello', { 'content-md5': md5('other') })
    assert.deepEqual(code(bad), [400, 'Md5Mismatch'])
    assert.match(
      bad.text,
      new RegExp(
        `<UserSpecifiedMd5>${md5('other')}</UserSpecifiedMd5><ServerCalculatedMd5>${md5('hello')}</ServerCalculatedMd5>`,
      ),
    )
    const good = await put('/box/m', 'hello', { 'content-md5': md5('hello') })
    assert.equal(good.status, 201)
    assert.equal(good.headers['content-md5'], md5('hello'))
    assert.equal(good.headers['x-ms-request-server-encrypted'], 'true')
    const blockBad = await send('PUT', '/box/m?comp=block&blockid=QQ%3D%3D', {
      body: 'abc',
      headers: { 'content-md5': md5('abd') },
    })
    assert.deepEqual(code(blockBad), [400, 'Md5Mismatch'])
    assert.equal(
      (await send('GET', '/box/m?comp=blocklist&blocklisttype=uncommitted')).text.includes(
        '<Block>',
      ),
      false,
    )
  })

  it('answers ranges with 206 and Content-Range, 416 past the end, and a range MD5 on request', async () => {
    await put('/box/r', '0123456789', { 'x-ms-blob-content-type': 'text/plain' })
    const full = await send('GET', '/box/r')
    assert.equal(full.status, 200)
    assert.equal(full.headers['content-length'], '10')
    assert.equal(full.headers['content-md5'], md5('0123456789'))
    assert.equal(full.headers['content-type'], 'text/plain')
    assert.equal(full.headers['accept-ranges'], 'bytes')
    assert.match(String(full.headers.etag), /^"0x[0-9A-F]+"$/)
    const part = await send('GET', '/box/r', {
      headers: { 'x-ms-range': 'bytes=2-4', 'x-ms-range-get-content-md5': 'true' },
    })
    assert.equal(part.status, 206)
    assert.equal(part.text, '234')
    assert.equal(part.headers['content-range'], 'bytes 2-4/10')
    assert.equal(part.headers['content-md5'], md5('234'))
    assert.equal(part.headers['x-ms-blob-content-md5'], md5('0123456789'))
    assert.equal((await send('GET', '/box/r', { headers: { range: 'bytes=8-' } })).text, '89')
    const past = await send('GET', '/box/r', { headers: { 'x-ms-range': 'bytes=10-' } })
    assert.deepEqual(code(past), [416, 'InvalidRange'])
    assert.equal(past.headers['content-range'], 'bytes */10')
    const head = await send('HEAD', '/box/r')
    assert.equal(head.headers['content-length'], '10')
    assert.equal(head.headers['x-ms-blob-type'], 'BlockBlob')
    assert.ok(head.headers['x-ms-creation-time'])
    const since = await send('GET', '/box/r', {
      headers: { 'if-modified-since': String(head.headers['last-modified']) },
    })
    assert.equal(since.status, 304)
    assert.equal(since.text, '')
  })

  it('accepts a chunked upload and an empty blob', async () => {
    const res = await send('PUT', '/box/chunked', {
      body: Readable.from([Buffer.from('ab'), Buffer.from('cd')]),
      headers: { 'x-ms-blob-type': 'BlockBlob', 'transfer-encoding': 'chunked' },
    })
    assert.equal(res.status, 201)
    assert.equal((await send('GET', '/box/chunked')).text, 'abcd')
    assert.equal((await put('/box/empty', '')).status, 201)
    const empty = await send('GET', '/box/empty')
    assert.deepEqual([empty.status, empty.headers['content-length'], empty.text], [200, '0', ''])
  })

  it('pages listings with NextMarker, counts prefixes toward maxresults, and always writes <Blobs>', async () => {
    assert.equal((await send('PUT', '/list?restype=container')).status, 201)
    const empty = await send('GET', '/list?restype=container&comp=list')
    assert.match(
      empty.text,
      /<EnumerationResults ServiceEndpoint="https:\/\/127\.0\.0\.1:\d+\/acct1\/" ContainerName="list"><Blobs><\/Blobs><NextMarker \/><\/EnumerationResults>$/,
    )
    for (const name of ['a/1', 'a/2', 'b', 'c/1', 'd', 'weird\u0001name'])
      await put(`/list/${encodeURIComponent(name)}`, name)
    const seen: string[] = []
    let marker = ''
    for (let i = 0; i < 10; i++) {
      const res = await send(
        'GET',
        `/list?restype=container&comp=list&delimiter=/&maxresults=2&marker=${encodeURIComponent(marker)}`,
      )
      assert.equal(res.status, 200, res.text)
      assert.match(res.text, /<MaxResults>2<\/MaxResults><Delimiter>\/<\/Delimiter><Blobs>/)
      for (const m of res.text.matchAll(
        /<(Blob|BlobPrefix)><Name( Encoded="true")?>([^<]*)<\/Name>/g,
      )) {
        seen.push(`${m[1]}:${m[2] ? decodeURIComponent(m[3] as string) : m[3]}`)
      }
      marker = /<NextMarker>([^<]*)<\/NextMarker>/.exec(res.text)?.[1] ?? ''
      if (marker === '') break
    }
    assert.deepEqual(seen, [
      'BlobPrefix:a/',
      'Blob:b',
      'BlobPrefix:c/',
      'Blob:d',
      'Blob:weird\u0001name',
    ])
    const containers = await send('GET', '/?comp=list&prefix=li&include=metadata')
    assert.match(
      containers.text,
      /<Prefix>li<\/Prefix><Containers><Container><Name>list<\/Name><Properties><Last-Modified>[^<]+<\/Last-Modified><Etag>"0x[0-9A-F]+"<\/Etag>/,
    )
    assert.match(containers.text, /<Metadata \/><\/Container><\/Containers><NextMarker \/>/)
  })
})
