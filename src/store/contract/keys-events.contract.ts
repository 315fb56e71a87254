import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Store } from '../index.js'
import { DUPLICATE, T0, signingKeyRow } from './fixtures.js'

export function describeSigningKeys(store: () => Store): void {
  describe('signing keys', () => {
    it('lists created keys oldest first with every column', async () => {
      const later = signingKeyRow(T0 + 1e9 + 10)
      const earlier = signingKeyRow(T0 + 1e9)
      await store().signingKeys.create(later)
      await store().signingKeys.create(earlier)
      const mine = (await store().signingKeys.list()).filter((k) =>
        [earlier.kid, later.kid].includes(k.kid),
      )
      assert.deepEqual(mine, [earlier, later])
    })

    it('rejects a second key with the same kid as Conflict', async () => {
      const key = signingKeyRow(T0 + 1e9)
      await store().signingKeys.create(key)
      await assert.rejects(store().signingKeys.create(key), DUPLICATE)
    })

    it('prunes the keys that expired at or before now and keeps the rest', async () => {
      const [gone, edge, kept] = [1000, 2000, 3000].map((ms) => signingKeyRow(T0 + ms))
      for (const key of [gone, edge, kept]) await store().signingKeys.create(key!)
      assert.equal(await store().signingKeys.prune(T0 + 2000), 2)
      const kids = (await store().signingKeys.list()).map((k) => k.kid)
      assert.ok(!kids.includes(gone!.kid) && !kids.includes(edge!.kid))
      assert.ok(kids.includes(kept!.kid))
      assert.equal(await store().signingKeys.prune(T0 + 2000), 0)
    })
  })
}

export function describeEvents(store: () => Store): void {
  describe('event log', () => {
    // Runs before any other section appends, so the log is still empty here.
    it('reports 0 as the last sequence number of an empty log', async () => {
      assert.equal(await store().events.last(), 0)
      assert.deepEqual(await store().events.list(0), [])
    })

    it('appends events with increasing sequence numbers and lists them oldest first', async () => {
      const before = await store().events.last()
      const rows = ['resource.created', 'identity.attached', 'resource.deleted'].map((kind, i) => ({
        at: T0 + i,
        kind,
        subject: '/subscriptions/s/resourcegroups/rg',
        data: JSON.stringify({ i }),
      }))
      const seqs: number[] = []
      for (const row of rows) seqs.push(await store().events.append(row))
      assert.ok(seqs[0]! > before && seqs[0]! < seqs[1]! && seqs[1]! < seqs[2]!)
      assert.deepEqual(
        await store().events.list(before),
        rows.map((row, i) => ({ seq: seqs[i], ...row })),
      )
      assert.equal(await store().events.last(), seqs[2])
      assert.deepEqual(
        (await store().events.list(before, 2)).map((e) => e.seq),
        seqs.slice(0, 2),
      )
      assert.deepEqual(
        (await store().events.list(seqs[1]!)).map((e) => e.seq),
        [seqs[2]],
      )
      assert.deepEqual(await store().events.list(seqs[2]!), [])
    })

    it('offers no way to change or remove an event', () => {
      assert.deepEqual(Object.keys(store().events).sort(), ['append', 'last', 'list'])
    })
  })
}
