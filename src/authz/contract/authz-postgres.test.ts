import { it } from 'node:test'
import { openStore } from '../../store/index.js'
import { postgresForTests, POSTGRES_SKIP } from '../../store/test-postgres.js'
import { runAuthzContract } from './authz-contract.js'

const pgTest = postgresForTests('keyless_authz')
if (!pgTest) {
  it('runs the authz contract on PostgreSQL', { skip: POSTGRES_SKIP })
} else {
  const schema = pgTest.schema()
  runAuthzContract('PostgreSQL', () => openStore({ postgresUrl: pgTest.url, schema }))
}
