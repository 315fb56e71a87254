import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openPostgresStore } from '../store/postgres.js'
import { openSqliteStore } from '../store/sqlite.js'
import { postgresForTests, POSTGRES_SKIP } from '../store/test-postgres.js'
import type { Store } from '../store/store.js'
import { createReplayGuard } from './replay-guard.js'

describe('replay guard', () => {
  let dir: string
  let store: Store
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keyless-replay-'))
    store = await openSqliteStore(join(dir, 'keyless.db'))
  })
  after(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('accepts an id once while it is remembered', async () => {
    const g = createReplayGuard({ store })
    assert.equal(await g.firstUse('a', 10_000, 1_000), true)
    assert.equal(await g.firstUse('a', 10_000, 2_000), false)
    assert.equal(await g.firstUse('a', 10_000, 10_999), false, 'still refused through forgetAt')
    assert.equal(await g.firstUse('b', 10_000, 2_000), true)
  })

  it('refuses an id another guard on the same store accepted', async () => {
    const one = createReplayGuard({ store })
    const two = createReplayGuard({ store })
    assert.equal(await one.firstUse('shared', 60_000, 1_000), true)
    assert.equal(await two.firstUse('shared', 60_000, 1_000), false)
  })

  it('takes an id again once its time has passed, and sweeps expired ids', async () => {
    const g = createReplayGuard({ store, sweepIntervalMs: 0 })
    assert.equal(await g.firstUse('late', 20_500, 1_000), true)
    assert.equal(await g.firstUse('late', 90_000, 30_000), true, 'an expired record counts absent')
    assert.equal(await g.firstUse('late', 90_000, 30_000), false)
    await new Promise((r) => setTimeout(r, 50))
    await g.firstUse('trigger', 900_000, 500_000)
    await new Promise((r) => setTimeout(r, 50))
    assert.equal(await store.assertionIds.prune(500_000), 0, 'the sweep already removed them')
  })
})

const pgTest = postgresForTests('keyless_replay')

describe(
  'replay guard across replicas on PostgreSQL',
  { skip: pgTest ? false : POSTGRES_SKIP },
  () => {
    it('accepts a captured assertion id once, whichever replica sees it and however many at once', async () => {
      // Three replicas, each its own pool on one schema, as `keyless server` runs them.
      const schema = pgTest!.schema('replicas')
      const first = await openPostgresStore(pgTest!.url, { schema, maxConnections: 4 })
      const replicas = [
        first,
        ...(await Promise.all(
          [1, 2].map(() => openPostgresStore(pgTest!.url, { schema, maxConnections: 4 })),
        )),
      ]
      try {
        const guards = replicas.map((store) => createReplayGuard({ store }))
        for (let round = 0; round < 20; round++) {
          const id = `captured-${round}`
          // The same id presented to every replica at the same moment, four times each.
          const answers = await Promise.all(
            guards.flatMap((g) => [0, 1, 2, 3].map(() => g.firstUse(id, 60_000, 1_000))),
          )
          assert.equal(answers.filter(Boolean).length, 1, `${id}: ${answers}`)
        }
      } finally {
        await Promise.all(replicas.map((s) => s.close()))
      }
    })
  },
)
