// The one PostgreSQL helper of the tests: the server of KEYLESS_TEST_POSTGRES_URL, fresh schemas
// with random names, and every schema made dropped when the test file ends. Undefined when the
// URL is unset, so each file skips with one clear message.
import { randomBytes } from 'node:crypto'
import { after } from 'node:test'
import pg from 'pg'

export const POSTGRES_SKIP = 'set KEYLESS_TEST_POSTGRES_URL to run the PostgreSQL tests'

export interface PostgresForTests {
  url: string
  /** A new schema name (created by the store on open), dropped after the file's tests. */
  schema(suffix?: string): string
}

export function postgresForTests(prefix: string): PostgresForTests | undefined {
  const url = process.env.KEYLESS_TEST_POSTGRES_URL
  if (url === undefined || url === '') return undefined
  const run = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`
  const schemas: string[] = []
  after(async () => {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      for (const name of schemas) await client.query(`drop schema if exists ${name} cascade`)
    } finally {
      await client.end()
    }
  })
  return {
    url,
    schema(suffix = 'main') {
      const name = `${run}_${suffix}`
      schemas.push(name)
      return name
    },
  }
}
