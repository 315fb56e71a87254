import { it } from 'node:test'
import { openStore } from '../store/index.js'
import { postgresForTests, POSTGRES_SKIP } from '../store/test-postgres.js'
import { runLifecycleContract } from './contract/lifecycle-contract.js'

const pgTest = postgresForTests('keyless_dir')
if (!pgTest) {
  it('runs the directory lifecycle contract on PostgreSQL', { skip: POSTGRES_SKIP })
} else {
  const schema = pgTest.schema()
  runLifecycleContract('PostgreSQL', () => openStore({ postgresUrl: pgTest.url, schema }))
}
