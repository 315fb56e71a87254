import assert from 'node:assert/strict'
import { randomBytes, randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import type { Store } from '../index.js'
import type { QueueMessageRow, QueueRow } from '../schema.js'
import { DUPLICATE, T0, resourceRow, seedHierarchy } from './fixtures.js'

const STORAGE = 'Microsoft.Storage/storageAccounts'

async function seedAccount(store: Store) {
  const h = await seedHierarchy(store)
  const account = resourceRow(h, STORAGE, `acct${randomBytes(6).toString('hex')}`)
  await store.resources.create(account)
  return account
}

function queueRow(accountKey: string, name: string): QueueRow {
  return { id: randomUUID(), account_key: accountKey, name, metadata: '{}', created_at: T0 }
}

function messageRow(queueId: string, at: number, changes: Partial<QueueMessageRow> = {}) {
  return {
    id: randomUUID(),
    queue_id: queueId,
    body: `m${at}`,
    inserted_at: at,
    expires_at: at + 7 * 86_400_000,
    visible_at: at,
    dequeue_count: 0,
    pop_receipt: 'put',
    ...changes,
  }
}

const receipts = () => () => randomUUID()

export function describeQueues(store: () => Store): void {
  describe('storage queues and messages', () => {
    async function seedQueue(messages = 0) {
      const account = await seedAccount(store())
      const q = queueRow(account.key, 'orders')
      await store().queues.create(q)
      const rows: QueueMessageRow[] = []
      for (let i = 0; i < messages; i++) {
        const row = messageRow(q.id, T0 + i)
        await store().queues.putMessage(row)
        rows.push(row)
      }
      return { account, q, rows }
    }

    it('creates, fetches, lists and deletes queues; names are unique per account', async () => {
      const account = await seedAccount(store())
      for (const name of ['beta', 'alpha', 'alpine', 'gamma']) {
        await store().queues.create(queueRow(account.key, name))
      }
      await assert.rejects(store().queues.create(queueRow(account.key, 'alpha')), DUPLICATE)
      const names = async (range: Parameters<Store['queues']['list']>[1]) =>
        (await store().queues.list(account.key, range)).map((q) => q.name)
      assert.deepEqual(await names({ limit: 10 }), ['alpha', 'alpine', 'beta', 'gamma'])
      assert.deepEqual(await names({ prefix: 'alp', limit: 10 }), ['alpha', 'alpine'])
      assert.deepEqual(await names({ after: 'alpine', limit: 1 }), ['beta'])
      const alpha = await store().queues.fetch(account.key, 'alpha')
      assert.ok(alpha)
      assert.equal(await store().queues.updateMetadata(alpha.id, '{"Owner":"ops"}'), true)
      assert.equal((await store().queues.fetch(account.key, 'alpha'))?.metadata, '{"Owner":"ops"}')
      assert.equal(await store().queues.delete(alpha.id), true)
      assert.equal(await store().queues.delete(alpha.id), false)
      assert.equal(await store().queues.fetch(account.key, 'alpha'), undefined)
    })

    it('claims visible messages oldest first, hides them until their absolute time, and counts a dequeue', async () => {
      const { q, rows } = await seedQueue(5)
      const now = T0 + 100
      const claimed = await store().queues.claimMessages(q.id, 3, {
        now,
        visibleAt: now + 30_000,
        popReceipt: receipts(),
      })
      assert.deepEqual(
        claimed.map((m) => m.id),
        rows.slice(0, 3).map((m) => m.id),
      )
      for (const m of claimed) {
        assert.equal(m.dequeue_count, 1)
        assert.equal(m.visible_at, now + 30_000)
        assert.notEqual(m.pop_receipt, 'put')
      }
      const peeked = await store().queues.peekMessages(q.id, now, 32)
      assert.deepEqual(
        peeked.map((m) => m.id),
        rows.slice(3).map((m) => m.id),
      )
      assert.equal(await store().queues.countMessages(q.id, now), 5)
      // Past the visibility time the claimed messages come back, after the two never taken.
      const again = await store().queues.claimMessages(q.id, 32, {
        now: now + 30_000,
        visibleAt: now + 60_000,
        popReceipt: receipts(),
      })
      assert.deepEqual(
        again.map((m) => [m.id, m.dequeue_count]),
        [...rows.slice(3).map((m) => [m.id, 1]), ...rows.slice(0, 3).map((m) => [m.id, 2])],
      )
    })

    it('never gives one message to two claims running at once', async () => {
      const { q, rows } = await seedQueue(40)
      const now = T0 + 100
      const claims = await Promise.all(
        Array.from({ length: 6 }, () =>
          store().queues.claimMessages(q.id, 8, {
            now,
            visibleAt: now + 30_000,
            popReceipt: receipts(),
          }),
        ),
      )
      const ids = claims.flat().map((m) => m.id)
      assert.equal(new Set(ids).size, ids.length, 'no message claimed twice')
      assert.equal(ids.length, rows.length, 'every message claimed once')
    })

    it('updates and deletes a message only with its current pop receipt', async () => {
      const { q } = await seedQueue(1)
      const [m] = await store().queues.claimMessages(q.id, 1, {
        now: T0 + 1,
        visibleAt: T0 + 10_000,
        popReceipt: receipts(),
      })
      assert.ok(m)
      const changes = { visible_at: T0 + 5, pop_receipt: 'second', body: 'new' }
      assert.equal(await store().queues.updateMessage(q.id, m.id, 'put', changes), undefined)
      const updated = await store().queues.updateMessage(q.id, m.id, m.pop_receipt, changes)
      assert.deepEqual(updated, { ...m, ...changes })
      assert.equal(await store().queues.deleteMessage(q.id, m.id, m.pop_receipt), false)
      assert.equal(await store().queues.deleteMessage(q.id, m.id, 'second'), true)
      assert.equal(await store().queues.fetchMessage(q.id, m.id, T0), undefined)
    })

    it('skips, does not count, and prunes expired messages', async () => {
      const { q } = await seedQueue()
      const live = messageRow(q.id, T0)
      const dead = messageRow(q.id, T0, { expires_at: T0 + 10 })
      await store().queues.putMessage(live)
      await store().queues.putMessage(dead)
      const now = T0 + 10
      assert.equal(await store().queues.countMessages(q.id, now), 1)
      assert.deepEqual(
        (await store().queues.peekMessages(q.id, now, 32)).map((m) => m.id),
        [live.id],
      )
      assert.equal(await store().queues.fetchMessage(q.id, dead.id, now), undefined)
      assert.ok((await store().queues.pruneExpired(now)) >= 1)
      assert.equal(await store().queues.fetchMessage(q.id, dead.id, T0), undefined)
      assert.ok(await store().queues.fetchMessage(q.id, live.id, T0))
    })

    it('clears a queue, and deletes queues and messages with their storage account', async () => {
      const { account, q, rows } = await seedQueue(3)
      assert.equal(await store().queues.clearMessages(q.id), 3)
      assert.equal(await store().queues.countMessages(q.id, T0), 0)
      await store().queues.putMessage(messageRow(q.id, T0))
      assert.equal(await store().resources.delete(account.key), true)
      assert.equal(await store().queues.fetch(account.key, 'orders'), undefined)
      assert.equal(await store().queues.fetchMessage(q.id, rows[0]!.id, T0), undefined)
      assert.equal(await store().queues.countMessages(q.id, T0), 0)
    })
  })
}
