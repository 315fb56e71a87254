// Blob content on disk: the size limit leaves no file behind, add/action creates but never
// overwrites, a reader of an overwritten blob keeps its version whole, and deleting a blob, a
// container or an account deletes its files (the collector takes what a cascade leaves).
import assert from 'node:assert/strict'
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { ACCOUNT, code, md5, startTestService, token, type TestService } from './test-service.js'

const MAX = 1024 * 1024

describe('blob content on disk', () => {
  let t: TestService
  const send: TestService['send'] = (...a) => t.send(...a)
  const put: TestService['put'] = (...a) => t.put(...a)
  const dataFiles = () => t.dataFiles()

  before(async () => {
    t = await startTestService(MAX)
    assert.equal((await send('PUT', '/box?restype=container')).status, 201)
  })
  after(async () => t?.close())

  it('refuses blobs over the size limit, declared or streamed, and keeps no file', async () => {
    const before = dataFiles().length
    const declared = await put('/box/big', Buffer.alloc(MAX + 1))
    assert.deepEqual(code(declared), [413, 'RequestBodyTooLarge'])
    assert.match(declared.text, new RegExp(`<MaxLimit>${MAX}</MaxLimit>`))
    const chunks = [Buffer.alloc(MAX / 2), Buffer.alloc(MAX / 2), Buffer.alloc(10)]
    const streamed = await send('PUT', '/box/big', {
      body: Readable.from(chunks),
      headers: { 'x-ms-blob-type': 'BlockBlob', 'transfer-encoding': 'chunked' },
    })
    assert.deepEqual(code(streamed), [413, 'RequestBodyTooLarge'])
    const block = await send('PUT', `/box/big?comp=block&blockid=${encodeURIComponent('QQ==')}`, {
      body: Readable.from(chunks),
      headers: { 'transfer-encoding': 'chunked' },
    })
    assert.deepEqual(code(block), [413, 'RequestBodyTooLarge'])
    assert.equal(dataFiles().length, before)
    assert.deepEqual(readdirSync(join(t.dir, 'blobs', 'tmp')), [])
    assert.equal((await put('/box/exact', Buffer.alloc(MAX))).status, 201)
  })

  it('drops an upload whose client goes away mid-body', async () => {
    const before = dataFiles().length
    await new Promise<void>((resolve) => {
      const req = request(`${t.service.endpoint}/acct1/box/cut`, {
        method: 'PUT',
        ca: t.ca,
        agent: false,
        headers: {
          'x-ms-version': '2026-04-06',
          authorization: `Bearer ${token('writer')}`,
          'x-ms-blob-type': 'BlockBlob',
          'content-length': '100000',
        },
      })
      req.on('error', () => resolve())
      req.write(Buffer.alloc(1000), () => setTimeout(() => req.destroy(), 100))
    })
    for (let i = 0; i < 50 && readdirSync(join(t.dir, 'blobs', 'tmp')).length > 0; i++) {
      await new Promise((r) => setTimeout(r, 20))
    }
    assert.deepEqual(readdirSync(join(t.dir, 'blobs', 'tmp')), [])
    assert.equal(dataFiles().length, before)
    assert.deepEqual(code(await send('HEAD', '/box/cut')), [404, 'BlobNotFound'])
  })

  it('lets add/action create a blob but not overwrite one', async () => {
    const created = await send('PUT', '/box/added', {
      as: 'adder',
      body: 'v1',
      headers: { 'x-ms-blob-type': 'BlockBlob' },
    })
    assert.equal(created.status, 201)
    const again = await send('PUT', '/box/added', {
      as: 'adder',
      body: 'v2',
      headers: { 'x-ms-blob-type': 'BlockBlob' },
    })
    assert.deepEqual(code(again), [403, 'AuthorizationPermissionMismatch'])
    assert.equal((await send('GET', '/box/added', { as: 'adder' })).text, 'v1')
  })

  it('keeps a reader of the old version whole while the blob is overwritten', async () => {
    const old = Buffer.alloc(MAX, 1)
    await put('/box/swap', old)
    const received: Buffer[] = []
    const read = new Promise<void>((resolve, reject) => {
      const req = request(
        `${t.service.endpoint}/acct1/box/swap`,
        {
          ca: t.ca,
          agent: false,
          headers: { 'x-ms-version': '2026-04-06', authorization: `Bearer ${token('writer')}` },
        },
        (res) => {
          res.once('data', async (first: Buffer) => {
            received.push(first)
            res.pause()
            // Overwrite and collect while this response is paused mid-body.
            assert.equal((await put('/box/swap', Buffer.alloc(10, 2))).status, 201)
            await t.service.collectGarbage(0)
            res.on('data', (c: Buffer) => received.push(c))
            res.on('end', resolve)
            res.resume()
          })
          res.on('error', reject)
        },
      )
      req.on('error', reject)
      req.end()
    })
    await read
    assert.equal(md5(Buffer.concat(received)), md5(old))
    assert.equal((await send('GET', '/box/swap')).body.length, 10)
  })

  it('deletes content files with their blob, their container and their account', async () => {
    assert.equal((await send('PUT', '/gone?restype=container')).status, 201)
    const before = dataFiles().length
    await put('/gone/a', 'a')
    await put('/gone/b', 'b')
    await send('PUT', '/gone/c?comp=block&blockid=QQ%3D%3D', { body: 'c' })
    assert.equal(dataFiles().length, before + 3)
    assert.equal((await send('DELETE', '/gone/a')).status, 202)
    assert.equal(dataFiles().length, before + 2)
    assert.equal((await send('DELETE', '/gone?restype=container')).status, 202)
    assert.equal(dataFiles().length, before)
    // The account goes with its resource (a cascade in the store); the collector takes its files.
    await put('/box/last', 'x')
    const orphan = join(t.dir, 'blobs', 'data', 'ff', 'ff'.padEnd(32, '0'))
    writeFileSync(join(t.dir, 'blobs', 'tmp', 'ee'.padEnd(32, '0')), 'partial')
    mkdirSync(join(t.dir, 'blobs', 'data', 'ff'), { recursive: true })
    writeFileSync(orphan, 'orphan')
    assert.equal(await t.service.collectGarbage(60_000), 0)
    assert.equal(await t.service.collectGarbage(0), 2)
    await t.store.resources.delete(ACCOUNT.toLowerCase())
    assert.ok((await t.service.collectGarbage(0)) > 0)
    assert.deepEqual(dataFiles(), [])
    assert.deepEqual(code(await send('GET', '/?comp=list')), [404, 'ResourceNotFound'])
  })
})
