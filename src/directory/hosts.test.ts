// Enrollment from the side of a caller without a valid join token: nothing is signed for them.
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  createCertificateAuthority,
  issueCertificate,
  LOCAL_NAMES,
  type PemPair,
} from '../common/pki.js'
import { openSqliteStore } from '../store/sqlite.js'
import type { Store } from '../store/store.js'
import { createHostRegistry } from './hosts.js'

describe('host enrollment', () => {
  let dir: string
  let store: Store
  let ca: PemPair
  const signed: string[] = []
  let hosts: ReturnType<typeof createHostRegistry>
  const publicKey = () =>
    generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString()

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keyless-hosts-'))
    store = await openSqliteStore(join(dir, 'k.db'))
    ca = await createCertificateAuthority('Hosts CA', {
      now: Date.now(),
      validityDays: 1,
      permitted: LOCAL_NAMES,
    })
    hosts = createHostRegistry({
      store,
      clock: { now: () => Date.now() },
      tenantId: '00000000-0000-0000-0000-0000000000aa',
      certificateLifetimeMs: 86_400_000,
      joinTokenLifetimeMs: 60_000,
      // The real CA, with a record of every host id it signed for.
      issueCertificate: async (hostId, publicKeyPem, lifetimeMs) => {
        signed.push(hostId)
        const leaf = await issueCertificate(ca, {
          commonName: hostId,
          usage: 'client',
          publicKeyPem,
          now: Date.now(),
          validityDays: lifetimeMs / 86_400_000,
        })
        return leaf.certPem
      },
    })
  })
  after(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  for (const [name, token] of [
    ['an unknown join token', async () => 'kjt~not-a-token'],
    [
      'a used join token',
      async () => {
        const { token } = await hosts.createJoinToken()
        await hosts.enroll(token, 'first', publicKey())
        return token
      },
    ],
  ] as const) {
    it(`signs nothing for ${name}`, async () => {
      const t = await token()
      const before = signed.length
      await assert.rejects(hosts.enroll(t, 'mallory', publicKey()), { code: 'InvalidJoinToken' })
      assert.equal(signed.length, before, 'no certificate was signed')
    })
  }

  it('signs once for a valid join token', async () => {
    const { token } = await hosts.createJoinToken()
    const before = signed.length
    const issued = await hosts.enroll(token, 'h', publicKey())
    assert.deepEqual(signed.slice(before), [issued.host.id])
  })
})
