// Durability: `keyless up`, which serves Blob, is killed (SIGKILL) while uploads stream in,
// single-shot and staged, then restarted on the same data directory. Every blob it lists
// afterwards must be complete and MD5-correct, an upload cut off must not be visible at all, and
// no file may be left that no row names (the collector runs at start).
import assert from 'node:assert/strict'
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { openStore } from '../../../src/store/index.js'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import {
  CLIENT,
  ROLES,
  blobEndpointOf,
  runAs,
  startBlobEnv,
  type BlobEnv,
  type OpResult,
} from './blob.config.js'
import { content, md5Hex } from './content.js'

const CONTAINER = 'crash'

/** Blob names carry their seed and size: `<seed>.<size>`. */
const named = (seed: string, size: number) => `${seed}.${size}`

function startUploader(k: KeylessProcess, vm: string, url: string, ops: object[]) {
  const progress: OpResult[] = []
  const run = runAs(k, vm, [CLIENT, url, JSON.stringify(ops)], (line) => {
    if (line.startsWith('{"progress"')) progress.push(JSON.parse(line).progress)
  })
  return {
    progress,
    kill: () => {
      try {
        process.kill(-(run.child.pid as number), 'SIGKILL')
      } catch {
        // already gone
      }
      return run.done
    },
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const sub of readdirSync(dir)) out.push(...readdirSync(join(dir, sub)))
  return out.sort()
}

describe('blob durability across a crash', () => {
  let env: BlobEnv
  let k: KeylessProcess
  let restarted: KeylessProcess | undefined
  const uploaders: Array<{ kill(): Promise<unknown> }> = []

  before(async () => {
    env = await startBlobEnv()
    k = env.k
  })
  after(async () => {
    await Promise.all(uploaders.map((u) => u.kill()))
    await restarted?.dispose()
    await env?.dispose()
  })

  it('lists only complete, MD5-correct blobs after the server is killed during uploads', async () => {
    const account = await env.createAccount()
    const vm = await env.createVm('vm-crash')
    await env.assign(vm.principalId, ROLES.contributor, account.id)
    await sleep(1000)
    const url = env.accountUrl(account.name)
    const done = [
      { seed: 'done-single', size: 300_000, single: true },
      { seed: 'done-staged', size: 2_500_000, single: false },
    ]
    const seeded = await env.run(vm.id, account.name, [
      { op: 'createContainer', container: CONTAINER },
      ...done.map((d) => ({
        op: 'uploadData',
        container: CONTAINER,
        blob: named(d.seed, d.size),
        seed: d.seed,
        size: d.size,
        blockSize: 1024 * 1024,
        maxSingleShotSize: d.single ? 4 * 1024 * 1024 : 1024 * 1024,
      })),
    ])
    assert.ok(
      seeded.every((r) => r.ok),
      JSON.stringify(seeded),
    )

    // Two uploaders: one Put Blob whose body trickles in for ~20 s (far longer than the wait
    // for the first staged commit, even on a loaded machine: at ~3 s it once finished before
    // the kill), and staged uploads of a block every 150 ms, each committed after ~1.2 s.
    const chunk = 64 * 1024
    const single = startUploader(k, vm.id, url, [
      ...[0, 1].map((i) => ({
        op: 'uploadSlowSingle',
        container: CONTAINER,
        blob: named(`single-${i}`, 48 * chunk),
        seed: `single-${i}`,
        chunks: 48,
        chunk,
        delayMs: 420,
        print: true,
      })),
    ])
    const staged = startUploader(k, vm.id, url, [
      ...[0, 1, 2, 3].map((i) => ({
        op: 'uploadSlowly',
        container: CONTAINER,
        blob: named(`staged-${i}`, 8 * 8 * chunk),
        seed: `staged-${i}`,
        chunks: 8,
        chunk: 8 * chunk,
        delayMs: 150,
        print: true,
      })),
    ])
    uploaders.push(single, staged)
    const deadline = Date.now() + 60_000
    while (!staged.progress.some((p) => p.ok) && Date.now() < deadline) await sleep(20)
    assert.ok(
      staged.progress.some((p) => p.ok),
      'no staged upload completed',
    )
    assert.equal(
      single.progress.length,
      0,
      `the slow Put Blob finished: ${JSON.stringify(single.progress)}`,
    )
    await sleep(200)

    await k.stop('SIGKILL')
    await Promise.all([single.kill(), staged.kill()])

    // What a crash between rename and commit, or mid-write, leaves behind.
    const blobs = join(k.dataDir, 'blobs')
    mkdirSync(join(blobs, 'data', 'ab'), { recursive: true })
    const orphan = join(blobs, 'data', 'ab', 'ab'.padEnd(32, '0'))
    writeFileSync(orphan, 'half a blob')
    writeFileSync(join(blobs, 'tmp', 'cd'.padEnd(32, '0')), 'a cut-off upload')
    utimesSync(orphan, new Date(0), new Date(0))

    const verifier = await startKeyless({ dataDir: k.dataDir })
    restarted = verifier
    const after = `${blobEndpointOf(verifier)}/${account.name}`

    const listing = runAs(verifier, vm.id, [
      CLIENT,
      after,
      JSON.stringify([{ op: 'listBlobsFlat', container: CONTAINER }]),
    ])
    const listed = JSON.parse((await listing.done).stdout.trim().split('\n').pop() as string)
      .results[0] as OpResult
    assert.ok(listed.ok, JSON.stringify(listed))
    const names: string[] = listed.value.items.map((b: any) => b.name)
    for (const d of done) assert.ok(names.includes(named(d.seed, d.size)), d.seed)
    const completed = staged.progress.filter((p) => p.ok).length
    for (let i = 0; i < completed; i++) assert.ok(names.includes(named(`staged-${i}`, 64 * chunk)))
    assert.ok(!names.includes(named('single-0', 48 * chunk)), 'a cut-off Put Blob is visible')

    const downloads = runAs(verifier, vm.id, [
      CLIENT,
      after,
      JSON.stringify(names.map((blob) => ({ op: 'downloadToBuffer', container: CONTAINER, blob }))),
    ])
    const results = JSON.parse((await downloads.done).stdout.trim().split('\n').pop() as string)
      .results as OpResult[]
    names.forEach((name, i) => {
      const dot = name.lastIndexOf('.')
      const size = Number(name.slice(dot + 1))
      const expected = md5Hex(content(name.slice(0, dot), size))
      assert.deepEqual(results[i]?.value, { md5: expected, length: size }, name)
    })

    // No temporary file and no content file that no row names: the orphans are gone.
    assert.deepEqual(readdirSync(join(blobs, 'tmp')), [])
    const store = await openStore({ sqliteFile: join(k.dataDir, 'keyless.db') })
    try {
      const referenced = (await store.blobs.listReferencedFiles(undefined, 10_000)).sort()
      assert.deepEqual(await filesUnder(join(blobs, 'data')), referenced)
    } finally {
      await store.close()
    }
  })
})
