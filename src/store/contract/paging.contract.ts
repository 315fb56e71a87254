import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Page, Store } from '../index.js'
import { VM, principalRow, resourceRow, seedHierarchy } from './fixtures.js'

async function collect<T>(read: (after?: string) => Promise<Page<T>>): Promise<Page<T>[]> {
  const pages = [await read()]
  while (pages[pages.length - 1]?.next !== undefined) {
    pages.push(await read(pages[pages.length - 1]?.next))
  }
  return pages
}

export function describePaging(store: () => Store): void {
  describe('paging', () => {
    it('pages through resources with next tokens until a page has none', async () => {
      const h = await seedHierarchy(store())
      const names = ['vm-0', 'vm-1', 'vm-2', 'vm-3', 'vm-4']
      for (const name of names) await store().resources.create(resourceRow(h, VM, name))
      const pages = await collect((after) =>
        store().resources.list({ groupKey: h.group.key }, { limit: 2, after }),
      )
      assert.deepEqual(
        pages.map((p) => p.items.map((r) => r.name)),
        [['vm-0', 'vm-1'], ['vm-2', 'vm-3'], ['vm-4']],
      )
      assert.equal(typeof pages[0]?.next, 'string')
      assert.doesNotMatch(pages[0]?.next ?? '', /vm-1/)
    })

    it('returns no next token when the last page is exactly full', async () => {
      const h = await seedHierarchy(store())
      for (const name of ['a', 'b']) await store().resources.create(resourceRow(h, VM, name))
      const page = await store().resources.list({ groupKey: h.group.key }, { limit: 2 })
      assert.equal(page.items.length, 2)
      assert.equal(page.next, undefined)
    })

    it('returns 100 items by default, at most 1000, and at least 1', async () => {
      const h = await seedHierarchy(store())
      await store().transaction(async (tx) => {
        for (let i = 0; i < 1001; i++) {
          await tx.resources.create(resourceRow(h, VM, `vm-${String(i).padStart(4, '0')}`))
        }
      })
      const filter = { groupKey: h.group.key }
      assert.equal((await store().resources.list(filter)).items.length, 100)
      const capped = await store().resources.list(filter, { limit: 5000 })
      assert.equal(capped.items.length, 1000)
      const rest = await store().resources.list(filter, { limit: 5000, after: capped.next })
      assert.deepEqual(
        rest.items.map((r) => r.name),
        ['vm-1000'],
      )
      assert.equal(rest.next, undefined)
      assert.equal((await store().resources.list(filter, { limit: 0 })).items.length, 1)
    })

    it('rejects a malformed next token as BadRequest', async () => {
      await assert.rejects(store().resources.list({}, { after: '!!not base64url!!' }), {
        name: 'BadRequest',
        code: 'InvalidContinuationToken',
        message: 'the continuation token is not valid',
      })
    })

    it('pages through principals by object id without repeating or skipping any', async () => {
      const created = []
      for (let i = 0; i < 5; i++) {
        const row = principalRow(null, null)
        await store().principals.create(row)
        created.push(row.object_id)
      }
      const pages = await collect((after) => store().principals.list({ limit: 3, after }))
      const seen = pages.flatMap((p) => p.items.map((r) => r.object_id))
      assert.ok(pages.every((p) => p.items.length <= 3))
      assert.equal(new Set(seen).size, seen.length)
      for (const id of created) assert.ok(seen.includes(id))
    })

    it('pages through the groups of a subscription', async () => {
      const h = await seedHierarchy(store())
      for (const suffix of ['-1', '-2']) {
        const id = `${h.group.id}${suffix}`
        await store().resourceGroups.create({ ...h.group, id, key: id.toLowerCase() })
      }
      const pages = await collect((after) =>
        store().resourceGroups.list(h.subscriptionId, { limit: 2, after }),
      )
      assert.deepEqual(
        pages.map((p) => p.items.map((g) => g.key)),
        [[h.group.key, `${h.group.key}-1`], [`${h.group.key}-2`]],
      )
    })
  })
}
