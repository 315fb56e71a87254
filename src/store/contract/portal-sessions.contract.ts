import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import type { Store } from '../index.js'
import type { PortalSessionRow } from '../schema.js'
import { DUPLICATE, T0 } from './fixtures.js'

function linkRow(expiresAt = T0 + 300_000): PortalSessionRow {
  return {
    id: randomUUID(),
    link_hash: randomUUID(),
    session_hash: null,
    principal_id: randomUUID(),
    created_by: randomUUID(),
    created_at: T0,
    redeemed_at: null,
    expires_at: expiresAt,
  }
}

export function describePortalSessions(store: () => Store): void {
  describe('portal sessions', () => {
    it('redeems a link once, into a session found by its hash until it expires', async () => {
      const link = linkRow()
      await store().portalSessions.create(link)
      const sessionHash = randomUUID()
      const s = { sessionHash, now: T0 + 1, expiresAt: T0 + 3_600_000 }
      const session = await store().portalSessions.redeem(link.link_hash, s)
      assert.deepEqual(session, {
        ...link,
        session_hash: sessionHash,
        redeemed_at: T0 + 1,
        expires_at: s.expiresAt,
      })
      const again = { ...s, sessionHash: randomUUID() }
      assert.equal(await store().portalSessions.redeem(link.link_hash, again), undefined)
      assert.equal(
        (await store().portalSessions.fetchBySessionHash(sessionHash, T0 + 2))?.id,
        link.id,
      )
      assert.equal(
        await store().portalSessions.fetchBySessionHash(sessionHash, s.expiresAt),
        undefined,
      )
      assert.equal(
        await store().portalSessions.fetchBySessionHash(again.sessionHash, T0 + 2),
        undefined,
      )
      await store().portalSessions.delete(link.id)
      assert.equal(await store().portalSessions.fetchBySessionHash(sessionHash, T0 + 2), undefined)
    })

    it('refuses an expired link and a duplicate hash, and prunes what expired', async () => {
      const link = linkRow(T0 + 10)
      await store().portalSessions.create(link)
      const s = { sessionHash: randomUUID(), now: T0 + 10, expiresAt: T0 + 1000 }
      assert.equal(await store().portalSessions.redeem(link.link_hash, s), undefined)
      await assert.rejects(store().portalSessions.create({ ...link, id: randomUUID() }), DUPLICATE)
      assert.ok((await store().portalSessions.prune(T0 + 10)) >= 1)
      assert.equal(
        await store().portalSessions.redeem(link.link_hash, { ...s, now: T0 }),
        undefined,
      )
    })
  })
}
