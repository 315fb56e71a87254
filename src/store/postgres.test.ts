import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import pg from 'pg'
import { runStoreContract } from './contract/index.js'
import { openStore } from './index.js'
import { openPostgresStore } from './postgres.js'
import { postgresForTests, POSTGRES_SKIP } from './test-postgres.js'

const pgTest = postgresForTests('keyless_test')

if (!pgTest) {
  it('runs the PostgreSQL store contract', { skip: POSTGRES_SKIP })
} else {
  const { url } = pgTest
  const schema = (suffix: string): string => pgTest.schema(suffix)

  const contractSchema = schema('contract')
  runStoreContract(
    'postgres',
    () => openStore({ postgresUrl: url, schema: contractSchema }),
    async (sql) => {
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      try {
        await client.query(`set search_path = ${contractSchema}`)
        await client.query(sql)
      } finally {
        await client.end()
      }
    },
  )

  describe('postgres store', () => {
    it('creates its tables in the given schema only', async () => {
      const name = schema('tables')
      await (await openPostgresStore(url, { schema: name })).close()
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      try {
        const { rows } = await client.query<{ table_name: string }>(
          'select table_name from information_schema.tables where table_schema = $1 order by 1',
          [name],
        )
        // The migrations' tables and Kysely's bookkeeping land in the schema that was asked for.
        const tables = rows.map((r) => r.table_name)
        for (const t of [
          'tenants',
          'resources',
          'service_principals',
          'events',
          'hosts',
          'kysely_migration',
        ]) {
          assert.ok(tables.includes(t), t)
        }
      } finally {
        await client.end()
      }
    })

    it('lets replicas that start together on a new schema migrate it once', async () => {
      const name = schema('replicas')
      const stores = await Promise.all(
        [1, 2, 3].map(() => openPostgresStore(url, { schema: name, maxConnections: 2 })),
      )
      try {
        await stores[0]!.tenants.create({ id: 't', display_name: 't', created_at: 1 })
        assert.equal((await stores[2]!.tenants.fetch('t'))?.id, 't')
      } finally {
        await Promise.all(stores.map((s) => s.close()))
      }
    })

    it('survives the server ending a connection that a transaction holds', async () => {
      // Without a listener on checked-out connections, pg emits an unhandled 'error' here and
      // this test process ends (an uncaught exception), which is how a replica died when
      // PostgreSQL restarted under load.
      const applicationName = `keyless-test-${process.pid}-held`
      const store = await openPostgresStore(url, {
        schema: schema('held'),
        applicationName,
        maxConnections: 2,
      })
      const admin = new pg.Client({ connectionString: url })
      await admin.connect()
      try {
        const outcome = store.transaction(async (tx) => {
          await tx.tenants.create({ id: 'held', display_name: 'held', created_at: 1 })
          // Held between two queries while the server ends the connection.
          const { rows } = await admin.query<{ ended: boolean }>(
            `select pg_terminate_backend(pid) as ended from pg_stat_activity
              where application_name = $1 and state = 'idle in transaction'`,
            [applicationName],
          )
          assert.deepEqual(
            rows.map((r) => r.ended),
            [true],
          )
          await new Promise((r) => setTimeout(r, 200))
          await tx.tenants.create({ id: 'held-2', display_name: 'held', created_at: 1 })
        })
        await assert.rejects(outcome)
        // Nothing of the ended transaction stayed, and the store serves on a new connection.
        assert.equal(await store.tenants.fetch('held'), undefined)
        await store.tenants.create({ id: 'after', display_name: 'after', created_at: 1 })
        assert.equal((await store.tenants.fetch('after'))?.id, 'after')
      } finally {
        await admin.end()
        await store.close()
      }
    })

    it('rejects a schema name that is not a plain identifier with TypeError', async () => {
      await assert.rejects(openPostgresStore(url, { schema: 'x; drop table y' }), {
        name: 'TypeError',
        message: 'schema must be a lower-case PostgreSQL identifier',
      })
    })
  })
}
