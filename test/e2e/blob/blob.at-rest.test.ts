// Blob encryption at rest with the stock @azure/storage-blob client under `keyless run`: uploads
// (single shot and staged blocks), downloads and ranges across chunk boundaries read back exactly,
// while the files in the data directory hold no plaintext; a tampered chunk makes the client fail
// instead of handing it altered bytes.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { CHUNK_BYTES, chunkOffset } from '../../../src/dataplane/blob/content-cipher.js'
import { content, md5Hex } from './content.js'
import { expectOk, ROLES, startBlobEnv, type BlobEnv } from './blob.config.js'

const SIZE = 3 * CHUNK_BYTES + 4321
const ranges = [
  [0, 10],
  [CHUNK_BYTES - 5, 10],
  [2 * CHUNK_BYTES + 1, CHUNK_BYTES],
  [SIZE - 7, 7],
] as const

describe('blob content is encrypted at rest (stock SDK)', () => {
  let env: BlobEnv
  let vm: string
  let account: string
  const container = 'atrest'

  before(async () => {
    env = await startBlobEnv()
    const a = await env.createAccount()
    account = a.name
    const machine = await env.createVm()
    vm = machine.id
    await env.assign(machine.principalId, ROLES.contributor, a.id)
  })
  after(async () => env?.dispose())

  const files = () => {
    const root = join(env.k.dataDir, 'blobs', 'data')
    return readdirSync(root).flatMap((d) => readdirSync(join(root, d)).map((f) => join(root, d, f)))
  }

  it('uploads, stages and commits, downloads and reads ranges; the disk holds no plaintext', async () => {
    const ops: object[] = [
      { op: 'createContainer', container },
      { op: 'uploadData', container, blob: 'single', size: SIZE, maxSingleShotSize: SIZE + 1 },
      {
        op: 'uploadData',
        container,
        blob: 'staged',
        size: SIZE,
        blockSize: 50_000,
        maxSingleShotSize: 1,
      },
    ]
    for (const blob of ['single', 'staged']) {
      ops.push({ op: 'downloadMd5', container, blob })
      for (const [offset, count] of ranges)
        ops.push({ op: 'downloadMd5', container, blob, offset, count })
    }
    const results = await env.run(vm, account, ops)
    expectOk(results)
    const reads = results.slice(3).map((r) => r.value)
    for (const blob of ['single', 'staged']) {
      const data = content(blob, SIZE)
      assert.deepEqual(reads.shift(), { md5: md5Hex(data), length: SIZE })
      for (const [offset, count] of ranges) {
        const want = data.subarray(offset, offset + count)
        assert.deepEqual(
          reads.shift(),
          { md5: md5Hex(want), length: want.length },
          `${blob} ${offset}`,
        )
      }
    }
    const onDisk = files().map((f) => readFileSync(f))
    assert.ok(onDisk.length >= 2)
    for (const blob of ['single', 'staged']) {
      const data = content(blob, SIZE)
      for (const at of [0, CHUNK_BYTES + 3, SIZE - 40]) {
        const probe = data.subarray(at, at + 32)
        assert.ok(
          onDisk.every((b) => b.indexOf(probe) === -1),
          `${blob} plaintext at ${at}`,
        )
      }
    }
  })

  it('makes the client fail on a tampered chunk, and still serves the untouched ones', async () => {
    const expectedStored = (f: string) => readFileSync(f).length > SIZE
    const [run] = await env.run(vm, account, [
      { op: 'uploadData', container, blob: 'victim', size: SIZE, maxSingleShotSize: SIZE + 1 },
    ])
    assert.ok(run?.ok)
    // The newest content file is the victim's (no other upload ran since).
    const victim = files()
      .filter(expectedStored)
      .sort((a, b) => readFileMtime(b) - readFileMtime(a))[0]!
    const disk = readFileSync(victim)
    disk[chunkOffset(2) + 100]! ^= 1
    writeFileSync(victim, disk)
    const results = await env.run(vm, account, [
      { op: 'downloadMd5', container, blob: 'victim' },
      { op: 'downloadMd5', container, blob: 'victim', offset: 2 * CHUNK_BYTES + 5, count: 10 },
      { op: 'downloadMd5', container, blob: 'victim', offset: 0, count: 2 * CHUNK_BYTES },
    ])
    assert.equal(results[0]?.ok, false, 'a download through the tampered chunk fails')
    assert.equal(results[1]?.ok, false, 'a range inside the tampered chunk fails')
    assert.equal(results[1]?.status, 500)
    const head = content('victim', SIZE).subarray(0, 2 * CHUNK_BYTES)
    assert.deepEqual(results[2]?.value, { md5: md5Hex(head), length: head.length })
  })
})

function readFileMtime(path: string): number {
  return statSync(path).mtimeMs
}
