import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, describe, it } from 'node:test'
import pg from 'pg'
import { runStoreContract } from './contract/index.js'
import { openStore } from './index.js'
import { openPostgresStore } from './postgres.js'

const url = process.env.KEYLESS_TEST_POSTGRES_URL

if (url === undefined || url === '') {
  it('runs the PostgreSQL store contract', {
    skip: 'set KEYLESS_TEST_POSTGRES_URL to run the PostgreSQL store contract',
  })
} else {
  const run = `keyless_test_${process.pid}_${randomBytes(4).toString('hex')}`
  const schemas: string[] = []
  const schema = (suffix: string): string => {
    schemas.push(`${run}_${suffix}`)
    return `${run}_${suffix}`
  }
  after(async () => {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      for (const name of schemas) await client.query(`drop schema if exists ${name} cascade`)
    } finally {
      await client.end()
    }
  })

  const contractSchema = schema('contract')
  runStoreContract('postgres', () => openStore({ postgresUrl: url, schema: contractSchema }))

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

    it('rejects a schema name that is not a plain identifier with TypeError', async () => {
      await assert.rejects(openPostgresStore(url, { schema: 'x; drop table y' }), {
        name: 'TypeError',
        message: 'schema must be a lower-case PostgreSQL identifier',
      })
    })
  })
}
