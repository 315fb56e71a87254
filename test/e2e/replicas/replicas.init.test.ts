// Replicas of `keyless server` on one empty PostgreSQL schema: three started at the same moment
// initialise it exactly once and then serve the same installation under the public URL; a
// replica given another master key refuses to start and changes nothing.
import assert from 'node:assert/strict'
import { connect } from 'node:tls'
import { describe, it } from 'node:test'
import pg from 'pg'
import { postgresForTests, POSTGRES_SKIP } from '../../../src/store/test-postgres.js'
import { https } from '../../helpers/https.js'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  credentials,
  masterKeyFile,
  spawnReplica,
  startReplicaProcess,
  scratchDir,
} from './replicas.config.js'

const postgres = postgresForTests('replicas_init')

async function count(url: string, sql: string): Promise<number> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return Number((await client.query<{ n: string }>(sql)).rows[0]!.n)
  } finally {
    await client.end()
  }
}

function servedCertificate(url: string): Promise<string> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: hostname, port: Number(port), rejectUnauthorized: false },
      () => {
        resolve(socket.getPeerX509Certificate()!.fingerprint256)
        socket.end()
      },
    )
    socket.on('error', reject)
  })
}

describe(
  'keyless server replicas on one database',
  { skip: postgres ? false : POSTGRES_SKIP },
  () => {
    it('three replicas starting together initialise an empty database exactly once', async () => {
      const pgt = postgres!
      const schema = pgt.schema('init')
      const keyFile = masterKeyFile()
      const publicUrl = 'https://127.0.0.1:9'
      const replicas = await Promise.all(
        [1, 2, 3].map(() => startReplicaProcess({ url: pgt.url, schema, keyFile, publicUrl })),
      )
      try {
        const tenants = new Set(replicas.map((r) => r.endpoints.tenantId))
        assert.equal(tenants.size, 1, 'one installation')
        for (const r of replicas) {
          assert.equal(r.endpoints.issuer, `${publicUrl}/${r.endpoints.tenantId}/`)
          assert.equal(r.endpoints.managementEndpoint, publicUrl)
        }
        const q = (sql: string) => count(pgt.url, sql.replaceAll('$s', schema))
        assert.equal(await q('select count(*) as n from $s.tenants'), 1)
        assert.equal(
          await q("select count(*) as n from $s.events where kind = 'installation.created'"),
          1,
        )
        assert.equal(
          await q('select count(*) as n from $s.client_secrets'),
          1,
          'one operator secret',
        )
        assert.equal(await q('select count(*) as n from $s.cluster_state'), 4)
        // Every replica signs with the one key they created between them (key-ring.ts).
        assert.equal(await q('select count(*) as n from $s.signing_keys'), 1, 'one signing key')
        // Every URL in discovery is the public URL, whichever replica answers; every replica
        // serves the same TLS material from the database.
        const creds = await credentials({ url: pgt.url, schema, keyFile, publicUrl })
        const ca = readFileSync(join(creds, 'ca.crt'), 'utf8')
        const endpointsFile = JSON.parse(readFileSync(join(creds, 'endpoints.json'), 'utf8'))
        assert.equal(endpointsFile.issuer, replicas[0]!.endpoints.issuer)
        const docs = await Promise.all(
          replicas.map(async (r) => {
            const res = await https(
              `${r.endpoints.listening}/${r.endpoints.tenantId}/v2.0/.well-known/openid-configuration`,
              { ca },
            )
            assert.equal(res.status, 200, res.text)
            return res.text
          }),
        )
        assert.equal(new Set(docs).size, 1, 'identical discovery documents')
        const doc = JSON.parse(docs[0]!) as Record<string, unknown>
        for (const key of ['issuer', 'token_endpoint', 'jwks_uri']) {
          assert.ok(String(doc[key]).startsWith(`${publicUrl}/`), `${key} is under the public URL`)
        }
        const certs = await Promise.all(
          replicas.map((r) => servedCertificate(r.endpoints.listening)),
        )
        assert.equal(new Set(certs).size, 1, 'one TLS certificate')
        for (const r of replicas) {
          const ready = await https(`${r.endpoints.listening}/readyz`, { ca })
          assert.equal(ready.status, 200)
        }

        // Another master key: exit 1, a message naming the cause, and the database as it was.
        const before =
          (await q('select count(*) as n from $s.cluster_state')) +
          (await q('select count(*) as n from $s.events'))
        const wrong = spawnReplica({
          url: pgt.url,
          schema,
          keyFile: masterKeyFile(),
          publicUrl,
          dataDir: scratchDir(),
        })
        let stderr = ''
        wrong.stderr!.on('data', (c: Buffer) => (stderr += c.toString()))
        const code = await new Promise<number | null>((r) => wrong.once('exit', (c) => r(c)))
        assert.equal(code, 1, stderr)
        assert.match(stderr, /master key does not match the one this database was initialised with/)
        const afterCount =
          (await q('select count(*) as n from $s.cluster_state')) +
          (await q('select count(*) as n from $s.events'))
        assert.equal(afterCount, before)
      } finally {
        await Promise.all(replicas.map((r) => r.stop()))
      }
    })
  },
)
