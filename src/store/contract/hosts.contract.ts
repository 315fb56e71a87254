import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import type { Store } from '../index.js'
import type { HostRow } from '../schema.js'
import { DUPLICATE, T0 } from './fixtures.js'

function hostRow(isLocal = 0): HostRow {
  return {
    id: randomUUID(),
    name: 'h',
    state: 'active',
    is_local: isLocal,
    cert_serial: randomUUID(),
    cert_issuer: null,
    cert_not_after: T0 + 1000,
    created_at: T0,
    renewed_at: null,
    revoked_at: null,
  }
}

export function describeHosts(store: () => Store): void {
  describe('hosts and join tokens', () => {
    it('creates, fetches, lists and updates hosts', async () => {
      const h = hostRow()
      await store().hosts.create(h)
      assert.deepEqual(await store().hosts.fetch(h.id), h)
      assert.ok((await store().hosts.list()).some((x) => x.id === h.id))
      assert.equal(await store().hosts.update(h.id, { state: 'revoked', revoked_at: T0 + 5 }), true)
      assert.equal((await store().hosts.fetch(h.id))?.state, 'revoked')
      assert.equal(await store().hosts.update(randomUUID(), { state: 'revoked' }), false)
      assert.equal(await store().hosts.fetch(randomUUID()), undefined)
    })

    it('finds the active local host', async () => {
      const h = hostRow(1)
      await store().hosts.create(h)
      assert.equal((await store().hosts.fetchLocal())?.is_local, 1)
    })

    it('consumes a join token exactly once', async () => {
      const t = {
        id: randomUUID(),
        token_hash: randomUUID(),
        is_local: 0,
        created_at: T0,
        expires_at: T0 + 60_000,
        used_at: null,
        host_id: null,
        machine_group_id: '/subscriptions/s1/resourceGroups/hosts',
        machine_location: 'westeurope',
      }
      await store().joinTokens.create(t)
      assert.deepEqual(await store().joinTokens.fetchByHash(t.token_hash), t)
      assert.equal(await store().joinTokens.consume(t.id, T0 + 1, 'h1'), true)
      assert.equal(await store().joinTokens.consume(t.id, T0 + 2, 'h2'), false)
      assert.equal((await store().joinTokens.fetchByHash(t.token_hash))?.host_id, 'h1')
      await assert.rejects(store().joinTokens.create({ ...t, id: randomUUID() }), DUPLICATE)
      assert.ok((await store().joinTokens.prune(T0 + 60_000)) >= 1)
      assert.equal(await store().joinTokens.fetchByHash(t.token_hash), undefined)
    })
  })
}
