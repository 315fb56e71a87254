import { randomBytes } from 'node:crypto'
import { after, it } from 'node:test'
import pg from 'pg'
import { openStore } from '../../store/index.js'
import { runAuthzContract } from './authz-contract.js'

const url = process.env.KEYLESS_TEST_POSTGRES_URL
if (!url) {
  it.skip('set KEYLESS_TEST_POSTGRES_URL to run the authz contract on PostgreSQL')
} else {
  const schema = `keyless_authz_${process.pid}_${randomBytes(4).toString('hex')}`
  after(async () => {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    await client.query(`drop schema if exists ${schema} cascade`)
    await client.end()
  })
  runAuthzContract('PostgreSQL', () => openStore({ postgresUrl: url, schema }))
}
