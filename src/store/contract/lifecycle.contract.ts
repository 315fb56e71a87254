import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import type { Store } from '../index.js'
import { T0 } from './fixtures.js'

export function describeLifecycle(open: () => Promise<Store>): void {
  describe('opening and closing', () => {
    it('keeps its data across a reopen, which re-runs migrations as a no-op', async () => {
      const tenant = { id: randomUUID(), display_name: 'kept', created_at: T0 }
      const first = await open()
      await first.tenants.create(tenant)
      await first.close()
      // A migration applied twice would fail on its `create table`, so opening succeeds only
      // if the migrator found nothing to do.
      const second = await open()
      try {
        assert.deepEqual(await second.tenants.fetch(tenant.id), tenant)
      } finally {
        await second.close()
      }
    })

    it('reports its capabilities and can be closed more than once', async () => {
      const store = await open()
      for (const flag of ['hasConcurrentWriters', 'isSharedByReplicas']) {
        assert.equal(
          typeof (store.capabilities as unknown as Record<string, unknown>)[flag],
          'boolean',
        )
      }
      await store.close()
      await store.close()
    })
  })
}
