import assert from 'node:assert/strict'
import { randomBytes, randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import type { Store } from '../index.js'
import type { BlobBlockRow, BlobContainerRow, BlobRow } from '../schema.js'
import { DUPLICATE, T0, resourceRow, seedHierarchy } from './fixtures.js'

const STORAGE = 'Microsoft.Storage/storageAccounts'
const file = () => randomBytes(16).toString('hex')

async function seedAccount(store: Store, name = `acct${randomBytes(6).toString('hex')}`) {
  const h = await seedHierarchy(store)
  const account = resourceRow(h, STORAGE, name)
  await store.resources.create(account)
  return account
}

function containerRow(accountKey: string, name: string): BlobContainerRow {
  return {
    id: randomUUID(),
    account_key: accountKey,
    name,
    metadata: '{"Owner":"ops"}',
    etag: '0x8DBE5A1B2C3D4E6',
    created_at: T0,
    updated_at: T0,
  }
}

function blobRow(containerId: string, name: string, size = 5): BlobRow {
  return {
    container_id: containerId,
    name,
    content_file: file(),
    size,
    content_type: 'text/plain',
    content_encoding: null,
    content_language: null,
    content_disposition: null,
    cache_control: null,
    content_md5: 'XUFAKrxLKna5cZ2REBfFkg==',
    metadata: '{}',
    etag: '0x8DBE5A1B2C3D4E7',
    block_list: '[]',
    created_at: T0,
    updated_at: T0,
  }
}

function blockRow(containerId: string, blobName: string, blockId: string, at = T0): BlobBlockRow {
  return {
    container_id: containerId,
    blob_name: blobName,
    block_id: blockId,
    content_file: file(),
    size: 3,
    created_at: at,
  }
}

export function describeBlobs(store: () => Store): void {
  describe('blob containers and blobs', () => {
    it('finds storage accounts by name in any casing, oldest first', async () => {
      const name = `acct${randomBytes(6).toString('hex')}`
      const first = await seedAccount(store(), name)
      const h = await seedHierarchy(store())
      const second = { ...resourceRow(h, STORAGE, name), created_at: T0 + 1 }
      await store().resources.create(second)
      await store().resources.create(resourceRow(h, 'Microsoft.KeyVault/vaults', name))
      const found = await store().blobContainers.findAccounts(name.toUpperCase())
      assert.deepEqual(
        found.map((a) => a.key),
        [first.key, second.key],
      )
      assert.equal(found[0]?.id, first.id)
      assert.deepEqual(await store().blobContainers.findAccounts('absent0account'), [])
    })

    it('creates, fetches, updates and deletes a container; names are unique per account', async () => {
      const account = await seedAccount(store())
      const c = containerRow(account.key, 'photos')
      await store().blobContainers.create(c)
      assert.deepEqual(await store().blobContainers.fetch(account.key, 'photos'), c)
      assert.equal(await store().blobContainers.fetch(account.key, 'Photos'), undefined)
      await assert.rejects(store().blobContainers.create({ ...c, id: randomUUID() }), DUPLICATE)
      assert.equal(
        await store().blobContainers.update(c.id, {
          metadata: '{}',
          etag: '0x1',
          updated_at: T0 + 9,
        }),
        true,
      )
      assert.equal((await store().blobContainers.fetch(account.key, 'photos'))?.etag, '0x1')
      assert.equal(await store().blobContainers.update(randomUUID(), { etag: '0x2' }), false)
      assert.equal(await store().blobContainers.delete(c.id), true)
      assert.equal(await store().blobContainers.delete(c.id), false)
      assert.equal(await store().blobContainers.fetch(account.key, 'photos'), undefined)
    })

    it('lists containers in name order with a prefix, a resume point and a limit', async () => {
      const account = await seedAccount(store())
      for (const name of ['logs-b', 'data', 'logs-a', 'logs-c', 'lo']) {
        await store().blobContainers.create(containerRow(account.key, name))
      }
      const names = async (range: Parameters<Store['blobContainers']['list']>[1]) =>
        (await store().blobContainers.list(account.key, range)).map((c) => c.name)
      assert.deepEqual(await names({ limit: 10 }), ['data', 'lo', 'logs-a', 'logs-b', 'logs-c'])
      assert.deepEqual(await names({ prefix: 'logs-', limit: 2 }), ['logs-a', 'logs-b'])
      assert.deepEqual(await names({ prefix: 'logs-', after: 'logs-b', limit: 2 }), ['logs-c'])
      assert.deepEqual(await names({ from: 'logs-b', limit: 10 }), ['logs-b', 'logs-c'])
    })

    it('lists blob names in binary order, case-sensitively, with code-point prefixes', async () => {
      const account = await seedAccount(store())
      const c = containerRow(account.key, 'c1')
      await store().blobContainers.create(c)
      const all = ['a', 'B', 'dir/x', 'dir/y', 'dir0', 'é/1', 'é/2', '中', 'a b', 'a-b', 'a_b']
      for (const name of all) await store().blobs.put(blobRow(c.id, name))
      const names = async (range: Parameters<Store['blobs']['list']>[1]) =>
        (await store().blobs.list(c.id, range)).map((b) => b.name)
      const binary = [...all].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))
      assert.deepEqual(await names({ limit: 100 }), binary)
      assert.deepEqual(await names({ prefix: 'dir/', limit: 100 }), ['dir/x', 'dir/y'])
      assert.deepEqual(await names({ prefix: 'é/', limit: 100 }), ['é/1', 'é/2'])
      assert.deepEqual(await names({ prefix: 'A', limit: 100 }), [])
      assert.deepEqual(await names({ prefix: 'dir', from: 'dir0', limit: 100 }), ['dir0'])
      assert.deepEqual(await names({ after: 'dir/x', limit: 2 }), ['dir/y', 'dir0'])
    })

    it('puts a blob, replaces it whole keeping its creation time, updates and deletes it', async () => {
      const account = await seedAccount(store())
      const c = containerRow(account.key, 'c1')
      await store().blobContainers.create(c)
      const first = blobRow(c.id, 'a.txt')
      await store().blobs.put(first)
      assert.deepEqual(await store().blobs.fetch(c.id, 'a.txt'), first)
      const second = {
        ...blobRow(c.id, 'a.txt', 9),
        created_at: T0 + 50,
        updated_at: T0 + 50,
        block_list: '[{"id":"AA==","size":9}]',
      }
      await store().blobs.put(second)
      assert.deepEqual(await store().blobs.fetch(c.id, 'a.txt'), { ...second, created_at: T0 })
      assert.equal(
        await store().blobs.update(c.id, 'a.txt', { metadata: '{"k":"v"}', etag: '0x3' }),
        true,
      )
      assert.equal((await store().blobs.fetch(c.id, 'a.txt'))?.metadata, '{"k":"v"}')
      assert.equal(await store().blobs.update(c.id, 'A.txt', { etag: '0x4' }), false)
      assert.equal(await store().blobs.delete(c.id, 'a.txt'), true)
      assert.equal(await store().blobs.delete(c.id, 'a.txt'), false)
      assert.equal(await store().blobs.fetch(c.id, 'a.txt'), undefined)
    })

    it('stages blocks, replaces a block with the same id, lists and discards them', async () => {
      const account = await seedAccount(store())
      const c = containerRow(account.key, 'c1')
      await store().blobContainers.create(c)
      const one = blockRow(c.id, 'big', 'MDE=', T0)
      const two = blockRow(c.id, 'big', 'MDI=', T0 + 1)
      assert.equal(await store().blobs.stageBlock(one), undefined)
      await store().blobs.stageBlock(two)
      await store().blobs.stageBlock(blockRow(c.id, 'other', 'MDE='))
      const again = { ...blockRow(c.id, 'big', 'MDE=', T0 + 2), size: 7 }
      assert.deepEqual(await store().blobs.stageBlock(again), one)
      assert.deepEqual(await store().blobs.listBlocks(c.id, 'big'), [two, again])
      assert.deepEqual(
        (await store().blobs.deleteBlocks(c.id, 'big')).map((b) => b.block_id).sort(),
        ['MDE=', 'MDI='],
      )
      assert.deepEqual(await store().blobs.listBlocks(c.id, 'big'), [])
      assert.equal((await store().blobs.listBlocks(c.id, 'other')).length, 1)
    })

    it('prunes the staged blocks of blobs with no block staged since the cut-off, only those', async () => {
      const account = await seedAccount(store())
      const c = containerRow(account.key, 'c1')
      await store().blobContainers.create(c)
      // 'stale': every block old. 'busy': an old block, but one staged after the cut-off.
      await store().blobs.stageBlock(blockRow(c.id, 'stale', 'MDE=', T0))
      await store().blobs.stageBlock(blockRow(c.id, 'stale', 'MDI=', T0 + 5))
      await store().blobs.stageBlock(blockRow(c.id, 'busy', 'MDE=', T0))
      await store().blobs.stageBlock(blockRow(c.id, 'busy', 'MDI=', T0 + 20))
      // (Earlier tests' blocks, staged at T0 too, may go with them.)
      assert.ok((await store().blobs.pruneBlocks(T0 + 10)) >= 2)
      assert.deepEqual(await store().blobs.listBlocks(c.id, 'stale'), [])
      assert.equal((await store().blobs.listBlocks(c.id, 'busy')).length, 2)
      assert.equal(await store().blobs.pruneBlocks(T0 + 10), 0)
    })

    it('lists the content files of a container and pages over every referenced file', async () => {
      const account = await seedAccount(store())
      const c = containerRow(account.key, 'c1')
      await store().blobContainers.create(c)
      const b1 = blobRow(c.id, 'x')
      const b2 = blobRow(c.id, 'y')
      const k1 = blockRow(c.id, 'z', 'QQ==')
      for (const b of [b1, b2]) await store().blobs.put(b)
      await store().blobs.stageBlock(k1)
      const mine = [b1.content_file, b2.content_file, k1.content_file].sort()
      assert.deepEqual((await store().blobs.listContainerFiles(c.id)).sort(), mine)
      const seen: string[] = []
      let after: string | undefined
      for (;;) {
        const page = await store().blobs.listReferencedFiles(after, 2)
        assert.ok(page.length <= 2)
        if (page.length === 0) break
        assert.deepEqual(page, [...page].sort())
        if (after !== undefined) assert.ok(page[0]! > after)
        seen.push(...page)
        after = page[page.length - 1]
      }
      for (const f of mine) assert.ok(seen.includes(f), f)
    })

    it('deletes containers, blobs and blocks with their storage account', async () => {
      const account = await seedAccount(store())
      const c = containerRow(account.key, 'c1')
      await store().blobContainers.create(c)
      await store().blobs.put(blobRow(c.id, 'x'))
      await store().blobs.stageBlock(blockRow(c.id, 'y', 'QQ=='))
      assert.equal(await store().resources.delete(account.key), true)
      assert.equal(await store().blobContainers.fetch(account.key, 'c1'), undefined)
      assert.equal(await store().blobs.fetch(c.id, 'x'), undefined)
      assert.deepEqual(await store().blobs.listBlocks(c.id, 'y'), [])
    })

    it('locks a container inside a transaction and tells whether it exists', async () => {
      const account = await seedAccount(store())
      const c = containerRow(account.key, 'c1')
      await store().blobContainers.create(c)
      const seen = await store().transaction(async (tx) => [
        await tx.blobContainers.lock(c.id),
        await tx.blobContainers.lock(randomUUID()),
      ])
      assert.deepEqual(seen, [true, false])
    })

    it('deletes blobs and blocks with their container', async () => {
      const account = await seedAccount(store())
      const c = containerRow(account.key, 'c1')
      await store().blobContainers.create(c)
      await store().blobs.put(blobRow(c.id, 'x'))
      await store().blobs.stageBlock(blockRow(c.id, 'y', 'QQ=='))
      await store().blobContainers.delete(c.id)
      assert.equal(await store().blobs.fetch(c.id, 'x'), undefined)
      assert.deepEqual(await store().blobs.listContainerFiles(c.id), [])
    })
  })
}
