// Replicas share the replay guard: two host authenticators, each over its own connection to one
// database (two handles on one SQLite file; two pools on one PostgreSQL schema), as two server
// replicas are. A captured assertion is accepted by one of them, once, and by no other.
import assert from 'node:assert/strict'
import { generateKeyPairSync, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { SignJWT } from 'jose'
import { createCertificateAuthority, issueCertificate, LOCAL_NAMES } from '../common/pki.js'
import type { HostRow } from '../store/schema.js'
import { openStore } from '../store/index.js'
import type { Store } from '../store/store.js'
import { postgresForTests, POSTGRES_SKIP } from '../store/test-postgres.js'
import { createHostAuthenticator } from './host-assertion.js'
import { createHostCertificates } from './host-certificates.js'

const AUD = 'https://keyless.test/t/oauth2/v2.0/token'

async function hostWithAssertion() {
  const now = Date.now()
  const ca = await createCertificateAuthority('Replica CA', {
    now,
    validityDays: 1,
    permitted: LOCAL_NAMES,
  })
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const hostId = randomUUID()
  const cert = await issueCertificate(ca, {
    commonName: hostId,
    usage: 'client',
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    now,
    validityDays: 1,
  })
  const der = cert.certPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '')
  const s = Math.floor(now / 1000)
  const assertion = await new SignJWT({ jti: randomUUID() })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c: [der] })
    .setIssuer(hostId)
    .setSubject(hostId)
    .setAudience(AUD)
    .setIssuedAt(s)
    .setExpirationTime(s + 300)
    .sign(privateKey)
  const row: HostRow = {
    id: hostId,
    name: 'replica-test',
    state: 'active',
    is_local: 0,
    cert_serial: '01',
    cert_issuer: null,
    cert_not_after: now + 86_400_000,
    created_at: now,
    renewed_at: null,
    revoked_at: null,
  }
  return { ca, row, assertion }
}

function replicasShareTheReplayGuard(name: string, open: () => Promise<Store>) {
  it(`accepts an assertion once across two replicas (${name})`, async () => {
    const stores = [await open(), await open()]
    try {
      const { ca, row, assertion } = await hostWithAssertion()
      await stores[0]!.hosts.create(row)
      const replicas = stores.map((store) =>
        createHostAuthenticator({
          checkCertificate: createHostCertificates({ caCertPem: ca.certPem }),
          hosts: store.hosts,
          store,
          clock: { now: () => Date.now() },
        }),
      )
      // Both at once, as an attacker racing a captured assertion to two replicas would.
      const outcomes = await Promise.allSettled(replicas.map((r) => r(assertion, AUD)))
      assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1)
      const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult
      assert.match((refused.reason as Error).message, /already used/)
      // And again later, at either.
      for (const r of replicas) await assert.rejects(r(assertion, AUD), /already used/)
    } finally {
      await Promise.all(stores.map((s) => s.close()))
    }
  })
}

describe('host assertions across replicas', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-replicas-'))
  after(() => rmSync(dir, { recursive: true, force: true }))
  replicasShareTheReplayGuard('SQLite', () => openStore({ sqliteFile: join(dir, 'k.db') }))

  const pgTest = postgresForTests('keyless_replicas')
  if (!pgTest)
    it('accepts an assertion once across two replicas (PostgreSQL)', { skip: POSTGRES_SKIP })
  else {
    const schema = pgTest.schema()
    replicasShareTheReplayGuard('PostgreSQL', () => openStore({ postgresUrl: pgTest.url, schema }))
  }
})
