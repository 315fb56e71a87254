// `keyless server rotate-ca` and `retire-ca` (issue 19 §4) on the cluster state in PostgreSQL,
// with real replica processes: after a rotation a restarted replica signs host certificates with
// the new CA and still accepts the old ones; retirement is refused while a host holds an old
// certificate (and names it); after it, the old certificate is refused and the TLS certificate
// every replica serves is the new CA's.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { CA_PATH, RENEW_PATH } from '../../../src/common/agent-protocol.js'
import { splitCertificates } from '../../../src/common/pki.js'
import { postgresForTests, POSTGRES_SKIP } from '../../../src/store/test-postgres.js'
import { BIN } from '../../helpers/keyless.js'
import { https } from '../../helpers/https.js'
import { clientToken } from '../../helpers/tokens.js'
import { assertion, enroll, newKeyPair, type TestHost } from '../hosts/hosts.config.js'
import { credentials, masterKeyFile, scratchDir, startReplicaProcess } from './replicas.config.js'
import { freePort } from '../../helpers/free-port.js'

const postgres = postgresForTests('replicas_rotate_ca')

function run(args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr.on('data', (c: Buffer) => (out += c.toString()))
  return new Promise((r) => child.once('exit', (code) => r({ code, out })))
}

const subjects = (pem: string) => splitCertificates(pem).map((c) => new X509Certificate(c).subject)

describe('rotating the CA of a cluster', { skip: postgres ? false : POSTGRES_SKIP }, () => {
  it('rotates, moves a host over, refuses then forces retirement, and refuses the old CA', async () => {
    const pgt = postgres!
    const schema = pgt.schema('rotate_ca')
    const keyFile = masterKeyFile(scratchDir())
    const port = await freePort()
    const publicUrl = `https://127.0.0.1:${port}`
    const cluster = { url: pgt.url, schema, keyFile, publicUrl }
    const replica = () => startReplicaProcess({ ...cluster, listen: `127.0.0.1:${port}` })
    const bundle = async () => readFileSync(join(await credentials(cluster), 'ca.crt'), 'utf8')
    const db = [
      ...['--database-url', pgt.url, '--database-schema', schema],
      ...['--master-key-file', keyFile, '--public-url', publicUrl],
    ]

    let r = await replica()
    let ca = await bundle()
    assert.deepEqual(subjects(ca), ['CN=Keyless Local CA'])
    const firstCa = ca
    const admin = JSON.parse(readFileSync(join(await credentials(cluster), 'admin.json'), 'utf8'))
    const k = () => ({ endpoints: { authorityHost: publicUrl, tenantId: admin.tenantId }, ca })
    const joinToken = async () => {
      const token = await clientToken(k(), admin, 'https://management.azure.com/')
      const res = await https(`${publicUrl}/keyless/v1/joinTokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        ca,
      })
      assert.equal(res.status, 201, res.text)
      return res.json().token as string
    }
    const moving = await enroll(k() as never, await joinToken())
    const stale = await enroll(k() as never, await joinToken())
    const caOf = async (host: TestHost) =>
      https(`${publicUrl}${CA_PATH}`, {
        headers: { authorization: `Bearer ${await assertion(host, `${publicUrl}${CA_PATH}`)}` },
        ca,
      })
    assert.equal(await r.stop(), 0)

    const rotated = await run(['server', 'rotate-ca', ...db])
    assert.equal(rotated.code, 0, rotated.out)
    const again = await run(['server', 'rotate-ca', ...db])
    assert.equal(again.code, 1, again.out)
    assert.match(again.out, /a rotation is in progress/)

    r = await replica()
    try {
      ca = await bundle()
      assert.deepEqual(subjects(ca), ['CN=Keyless Local CA 2', 'CN=Keyless Local CA'])
      // The old host certificate is still accepted, and renewal moves the host over.
      const served = await caOf(moving)
      assert.equal(served.status, 200, served.text)
      assert.equal(served.json().caCertificate, ca)
      const keys = newKeyPair()
      const renewed = await https(`${publicUrl}${RENEW_PATH}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${await assertion(moving, `${publicUrl}${RENEW_PATH}`)}`,
        },
        body: JSON.stringify({ publicKey: keys.publicKeyPem }),
        ca,
      })
      assert.equal(renewed.status, 200, renewed.text)
      assert.equal(new X509Certificate(renewed.json().certificate).issuer, 'CN=Keyless Local CA 2')
      Object.assign(moving, { certificate: renewed.json().certificate, ...keys })
    } finally {
      assert.equal(await r.stop(), 0)
    }

    const refused = await run(['server', 'retire-ca', ...db])
    assert.equal(refused.code, 1, refused.out)
    assert.match(refused.out, new RegExp(stale.hostId))
    assert.doesNotMatch(refused.out, new RegExp(moving.hostId))
    const forced = await run(['server', 'retire-ca', ...db, '--force'])
    assert.equal(forced.code, 0, forced.out)

    r = await replica()
    try {
      ca = await bundle()
      assert.deepEqual(subjects(ca), ['CN=Keyless Local CA 2'])
      assert.equal((await caOf(moving)).status, 200)
      assert.equal((await caOf(stale)).status, 401, 'a certificate of the retired CA')
      // The shared TLS certificate was re-issued under the active CA.
      await assert.rejects(https(`${publicUrl}${CA_PATH}`, { ca: firstCa }))
    } finally {
      await r.stop()
    }
  })
})
