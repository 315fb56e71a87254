import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { createChangeFeed, type ChangeEvent } from './change-feed.js'
import { openPostgresStore } from '../store/postgres.js'
import { COMMIT_WATCH_APPLICATION } from '../store/postgres-commit-watch.js'
import type { Store } from '../store/store.js'
import { postgresForTests, POSTGRES_SKIP } from '../store/test-postgres.js'

const postgres = postgresForTests('commit_watch')

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) assert.fail(`not within ${ms} ms`)
    await sleep(10)
  }
}

describe(
  'a change feed woken by PostgreSQL NOTIFY',
  { skip: postgres ? false : POSTGRES_SKIP },
  () => {
    let writer: Store
    let reader: Store
    let schema: string
    before(async () => {
      schema = postgres!.schema('watch')
      writer = await openPostgresStore(postgres!.url, { schema })
      reader = await openPostgresStore(postgres!.url, { schema })
    })
    after(async () => {
      await writer?.close()
      await reader?.close()
    })

    const append = (subject: string) =>
      writer.transaction((tx) =>
        tx.events.append({ at: 1, kind: 'test.event', subject, data: '{}' }),
      )

    it("delivers another process's commit without waiting for its poll, and catches up after losing the connection", async () => {
      const seen: ChangeEvent[] = []
      // A poll period no test waits for: only a wake-up can deliver within the bound.
      const feed = createChangeFeed({ store: reader, safetyNetIntervalMs: 3_600_000 })
      await feed.start()
      feed.subscribe((e) => seen.push(e))
      try {
        await append('first')
        await until(() => seen.some((e) => e.subject === 'first'))

        // A rolled-back transaction notifies nobody and leaves nothing to read.
        await assert.rejects(
          writer.transaction(async (tx) => {
            await tx.events.append({
              at: 1,
              kind: 'test.event',
              subject: 'rolled-back',
              data: '{}',
            })
            throw new Error('abort')
          }),
        )

        // The watch's connection is cut (a PostgreSQL restart, an administrator): what commits
        // meanwhile is read from the log when the watch reconnects.
        const admin = new pg.Client({ connectionString: postgres!.url })
        await admin.connect()
        try {
          const cut = await admin.query(
            'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1 and query ilike $2',
            [COMMIT_WATCH_APPLICATION, `%${schema}%`],
          )
          assert.equal(cut.rowCount, 1)
        } finally {
          await admin.end()
        }
        await append('while-away')
        await until(() => seen.some((e) => e.subject === 'while-away'))
        assert.deepEqual(
          seen.map((e) => e.subject),
          ['first', 'while-away'],
        )
        assert.deepEqual(
          seen.map((e) => e.seq),
          [...seen.map((e) => e.seq)].sort((x, y) => x - y),
        )
      } finally {
        feed.stop()
      }
    })
  },
)
