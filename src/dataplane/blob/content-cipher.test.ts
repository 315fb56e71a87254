// Blob content at rest, from an attacker's side: the bytes on disk are not the plaintext, and
// a chunk flipped, moved within its file, copied from another file, or cut off is an error,
// never data. Range reads decrypt only the chunks they need. Files from before encryption
// (32-hex names) still read as plain content. Staged blocks that are never committed expire.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { deriveKeyHierarchy } from '../../common/key-hierarchy.js'
import {
  CHUNK_BYTES,
  CHUNK_OVERHEAD,
  ChunkAuthenticationError,
  chunkOffset,
} from './content-cipher.js'
import { ContentFiles } from './content-files.js'
import { collectGarbage } from './gc.js'
import { code, startTestService, TEST_KEYS, type TestService } from './test-service.js'

const keys = deriveKeyHierarchy(randomBytes(32))
const SIZE = 3 * CHUNK_BYTES + 1234

async function readAll(files: ContentFiles, name: string, start = 0, end?: number) {
  const fh = await open(files.path(name), 'r')
  try {
    const out: Buffer[] = []
    const last = end ?? (await fh.stat()).size
    for await (const piece of files.read(fh, name, start, last)) out.push(piece)
    return Buffer.concat(out)
  } finally {
    await fh.close()
  }
}

describe('blob content encryption at rest', () => {
  let root: string
  let files: ContentFiles
  const plain = randomBytes(SIZE)

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'keyless-cipher-'))
    files = new ContentFiles(root, keys.forPurpose('blob-content'))
    await files.init()
  })
  after(() => rmSync(root, { recursive: true, force: true }))

  const write = (data: Buffer) => files.write([data.subarray(0, 1000), data.subarray(1000)], 1e9)

  it('stores no plaintext on disk and reads every range back exactly', async () => {
    const { name, size } = await write(plain)
    assert.equal(size, SIZE)
    assert.ok(ContentFiles.isSealed(name))
    const disk = readFileSync(files.path(name))
    assert.equal(disk.length, SIZE + 4 * CHUNK_OVERHEAD)
    for (const at of [0, CHUNK_BYTES, 2 * CHUNK_BYTES + 7, SIZE - 64]) {
      assert.equal(disk.indexOf(plain.subarray(at, at + 32)), -1, `plaintext at ${at}`)
    }
    assert.deepEqual(await readAll(files, name, 0, SIZE - 1), plain)
    for (const [s, e] of [
      [0, 0],
      [CHUNK_BYTES - 3, CHUNK_BYTES + 3],
      [CHUNK_BYTES, 3 * CHUNK_BYTES - 1],
      [SIZE - 1, SIZE - 1],
    ] as const) {
      assert.deepEqual(await readAll(files, name, s, e), plain.subarray(s, e + 1), `${s}-${e}`)
    }
  })

  it('encrypts an empty blob and one of exactly one chunk', async () => {
    const empty = await write(Buffer.alloc(0))
    assert.equal(readFileSync(files.path(empty.name)).length, CHUNK_OVERHEAD)
    const one = randomBytes(CHUNK_BYTES)
    const w = await write(one)
    assert.equal(readFileSync(files.path(w.name)).length, CHUNK_BYTES + CHUNK_OVERHEAD)
    assert.deepEqual(await readAll(files, w.name, 0, CHUNK_BYTES - 1), one)
  })

  it('refuses a flipped bit, and decrypts only the chunks a range touches', async () => {
    const { name } = await write(plain)
    const path = files.path(name)
    const disk = readFileSync(path)
    disk[chunkOffset(2) + 40]! ^= 1
    writeFileSync(path, disk)
    await assert.rejects(readAll(files, name, 0, SIZE - 1), ChunkAuthenticationError)
    await assert.rejects(
      readAll(files, name, 2 * CHUNK_BYTES, 2 * CHUNK_BYTES),
      ChunkAuthenticationError,
    )
    // Chunks 0 and 1 are untouched and are all this range needs.
    assert.deepEqual(
      await readAll(files, name, 10, 2 * CHUNK_BYTES - 1),
      plain.subarray(10, 2 * CHUNK_BYTES),
    )
  })

  it('refuses chunks swapped within a file', async () => {
    const { name } = await write(plain)
    const path = files.path(name)
    const disk = readFileSync(path)
    const step = CHUNK_BYTES + CHUNK_OVERHEAD
    const a = Buffer.from(disk.subarray(0, step))
    disk.copy(disk, 0, step, 2 * step)
    a.copy(disk, step)
    writeFileSync(path, disk)
    await assert.rejects(readAll(files, name, 0, 10), ChunkAuthenticationError)
  })

  it('refuses a chunk or a whole file copied from another blob', async () => {
    const first = await write(plain)
    const second = await write(randomBytes(SIZE))
    const victim = readFileSync(files.path(first.name))
    readFileSync(files.path(second.name)).copy(
      victim,
      chunkOffset(1),
      chunkOffset(1),
      chunkOffset(2),
    )
    writeFileSync(files.path(first.name), victim)
    await assert.rejects(
      readAll(files, first.name, CHUNK_BYTES, CHUNK_BYTES),
      ChunkAuthenticationError,
    )
    const third = await write(randomBytes(10))
    writeFileSync(files.path(third.name), readFileSync(files.path(second.name)))
    await assert.rejects(readAll(files, third.name, 0, 0), ChunkAuthenticationError)
  })

  it('refuses a file cut short, at a chunk boundary or inside a chunk', async () => {
    for (const cut of [chunkOffset(3), chunkOffset(3) + 100, chunkOffset(1)]) {
      const { name } = await write(plain)
      truncateSync(files.path(name), cut)
      await assert.rejects(
        readAll(files, name, 0, SIZE - 1),
        ChunkAuthenticationError,
        `cut ${cut}`,
      )
    }
  })

  it('does not open under another installation key', async () => {
    const { name } = await write(plain)
    const other = new ContentFiles(
      root,
      deriveKeyHierarchy(randomBytes(32)).forPurpose('blob-content'),
    )
    await assert.rejects(readAll(other, name, 0, 0), ChunkAuthenticationError)
  })

  it('reads a plain file written before encryption at rest', async () => {
    const legacy = randomBytes(16).toString('hex')
    mkdirSync(dirname(files.path(legacy)), { recursive: true })
    writeFileSync(files.path(legacy), plain)
    assert.ok(!ContentFiles.isSealed(legacy))
    assert.deepEqual(await readAll(files, legacy, 5, SIZE - 1), plain.subarray(5))
  })
})

describe('blob content over HTTP', () => {
  let t: TestService
  before(async () => {
    t = await startTestService(1024 * 1024 * 8)
    assert.equal((await t.send('PUT', '/box?restype=container')).status, 201)
  })
  after(async () => t?.close())

  /** Runs `upload` and returns the one content file it added. */
  async function newFile(upload: () => Promise<unknown>): Promise<string> {
    const before = new Set(t.dataFiles())
    await upload()
    const added = t.dataFiles().filter((f) => !before.has(f))
    assert.equal(added.length, 1)
    return join(t.dir, 'blobs', 'data', added[0]!.slice(0, 2), added[0]!)
  }

  it('answers a blob whose first chunk was tampered with 500 InternalError, not its bytes', async () => {
    const plain = randomBytes(SIZE)
    const path = await newFile(() => t.put('/box/tampered', plain))
    const good = await t.send('GET', '/box/tampered', { headers: { 'x-ms-range': 'bytes=10-99' } })
    assert.equal(good.status, 206)
    assert.deepEqual(good.body, plain.subarray(10, 100))
    const disk = readFileSync(path)
    disk[20]! ^= 0x80
    writeFileSync(path, disk)
    const bad = await t.send('GET', '/box/tampered')
    assert.deepEqual(code(bad), [500, 'InternalError'])
    assert.equal(bad.body.indexOf(plain.subarray(0, 16)), -1)
    // A range past the tampered chunk still reads.
    const later = await t.send('GET', '/box/tampered', {
      headers: { 'x-ms-range': `bytes=${CHUNK_BYTES}-${CHUNK_BYTES + 9}` },
    })
    assert.deepEqual(later.body, plain.subarray(CHUNK_BYTES, CHUNK_BYTES + 10))
  })

  it('discards staged blocks never committed once their blob is idle for a week', async () => {
    const blockPath = await newFile(() =>
      t.send('PUT', `/box/staged?comp=block&blockid=${encodeURIComponent('QQ==')}`, {
        body: 'uncommitted',
      }),
    )
    const files = new ContentFiles(join(t.dir, 'blobs'), TEST_KEYS.forPurpose('blob-content'))
    const WEEK = 7 * 86_400_000
    const gc = (days: number) =>
      collectGarbage(files, t.store, {
        now: Date.now() + days * 86_400_000,
        graceMs: 0,
        stagedBlockLifetimeMs: WEEK,
      })
    await gc(6)
    const kept = await t.send('GET', '/box/staged?comp=blocklist&blocklisttype=uncommitted')
    assert.equal(kept.status, 200)
    assert.match(kept.text, /<Name>QQ==<\/Name>/)
    await gc(8)
    const gone = await t.send('GET', '/box/staged?comp=blocklist&blocklisttype=uncommitted')
    assert.deepEqual(code(gone), [404, 'BlobNotFound'])
    assert.ok(!t.dataFiles().includes(blockPath.split('/').pop()!))
  })
})
