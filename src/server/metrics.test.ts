// The store's failures as the metrics count them, on a real SQLite file: a unique violation is
// an answer (Conflict), not a store error; a call on a closed database is one; a transaction
// that fails for an unreachable database counts once, as `unavailable`.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServerMetrics } from '../common/metrics.js'
import { Conflict, ServiceUnavailable } from '../domain/errors.js'
import { openStore } from '../store/index.js'
import { countStoreErrors } from './metrics.js'

async function errorsOf(m: ReturnType<typeof createServerMetrics>, kind: string) {
  const { values } = await m.storeErrors.get()
  return values.find((v) => v.labels.kind === kind)?.value ?? 0
}

describe('store errors in the metrics', () => {
  it('counts driver failures and an unreachable database, not domain answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyless-metrics-'))
    const m = createServerMetrics()
    const inner = await openStore({ sqliteFile: join(dir, 'keyless.db') })
    const store = countStoreErrors(inner, m)
    try {
      const tenant = { id: 't1', display_name: 'one', created_at: 0 }
      await store.tenants.create(tenant)
      await assert.rejects(store.tenants.create(tenant), Conflict)
      assert.equal((await store.tenants.fetch('t1'))?.display_name, 'one')
      assert.equal(await errorsOf(m, 'failed'), 0)
      assert.equal(await errorsOf(m, 'unavailable'), 0)

      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.tenants.fetch('t1')
          throw new ServiceUnavailable('the database went away')
        }),
        ServiceUnavailable,
      )
      assert.equal(await errorsOf(m, 'unavailable'), 1)
      assert.equal(store.capabilities, inner.capabilities)

      await store.close()
      await assert.rejects(store.tenants.list())
      await assert.rejects(store.ping())
      assert.equal(await errorsOf(m, 'failed'), 2)
    } finally {
      await inner.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
