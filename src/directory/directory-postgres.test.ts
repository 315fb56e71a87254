import { after, it } from 'node:test'
import pg from 'pg'
import { randomBytes } from 'node:crypto'
import { openStore } from '../store/index.js'
import { runLifecycleContract } from './contract/lifecycle-contract.js'

const url = process.env.KEYLESS_TEST_POSTGRES_URL
if (!url) {
  it.skip('set KEYLESS_TEST_POSTGRES_URL to run the directory lifecycle contract on PostgreSQL')
} else {
  const schema = `keyless_dir_${process.pid}_${randomBytes(4).toString('hex')}`
  after(async () => {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    await client.query(`drop schema if exists ${schema} cascade`)
    await client.end()
  })
  runLifecycleContract('PostgreSQL', () => openStore({ postgresUrl: url, schema }))
}
