// The agent pins the installation's CA: a server certificate from any other CA, including one
// the process would otherwise trust, is refused, unless the operator asks for the system roots.
import assert from 'node:assert/strict'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { rootCertificates } from 'node:tls'
import { after, before, describe, it } from 'node:test'
import {
  createCertificateAuthority,
  issueCertificate,
  LOCAL_NAMES,
  type PemPair,
} from '../common/pki.js'
import { createHttpsClient, trustedCas } from './https-client.js'

const now = Date.now()
const authority = (name: string) =>
  createCertificateAuthority(name, { now, validityDays: 1, permitted: LOCAL_NAMES })

describe('agent HTTPS trust', () => {
  let installation: PemPair
  let other: PemPair
  let url: string
  let server: ReturnType<typeof createServer>

  before(async () => {
    installation = await authority('Installation CA')
    other = await authority('Some other CA')
    // The server presents a certificate from another CA: what an attacker with a publicly
    // trusted certificate for the server's name would present.
    const leaf = await issueCertificate(other, {
      commonName: 'Server',
      ipAddresses: ['127.0.0.1'],
      usage: 'server',
      now,
      validityDays: 1,
    })
    server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (_q, r) => r.end('hello'))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`
  })
  after(() => server?.close())

  it('trusts the installation CA alone once it is known', () => {
    assert.deepEqual(trustedCas({ caPem: installation.certPem }), [installation.certPem])
    assert.equal(trustedCas({})?.length, undefined)
    const both = trustedCas({ caPem: installation.certPem, trustSystemRoots: true })!
    assert.equal(both.length, rootCertificates.length + 1)
  })

  it('refuses a server certificate from another CA, and accepts its own', async () => {
    const pinned = createHttpsClient({ caPem: installation.certPem })
    await assert.rejects(pinned.send(url), /self-signed|unable to (get|verify)/i)
    pinned.close()
    const right = createHttpsClient({ caPem: other.certPem })
    assert.equal((await right.send(url)).status, 200)
    right.close()
  })
})
