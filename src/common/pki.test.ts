// The local CA from an attacker's side: whoever holds its key can still sign a certificate for
// any name, but a client that trusts the CA (Node's TLS, as every workload under `keyless run`)
// refuses one outside the CA's name constraint, e.g. for the real cloud's host names.
import assert from 'node:assert/strict'
import { createServer, request } from 'node:https'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import {
  createCertificateAuthority,
  installationNameScope,
  issueCertificate,
  namesOutside,
  permittedNames,
  type PemPair,
} from './pki.js'

const now = Date.now()

/** Serves `leaf` on loopback and connects as `servername`, trusting only `ca`. */
async function connect(ca: string, leaf: PemPair, servername: string, host = '127.0.0.1') {
  const server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (_q, r) => r.end('ok'))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  try {
    return await new Promise<string>((resolve, reject) => {
      const req = request(
        { host, port, servername, ca, agent: false, headers: { host: servername } },
        (res) => {
          res.resume()
          res.on('end', () => resolve('ok'))
        },
      )
      req.on('error', (e: NodeJS.ErrnoException) => reject(e))
      req.end()
    })
  } finally {
    server.close()
  }
}

describe('the local CA is name-constrained', () => {
  let ca: PemPair
  const scope = installationNameScope({ dnsNames: ['*.vault.example.test'], ipAddresses: [] })
  const leafFor = async (dnsNames: string[], ipAddresses: string[] = []) => {
    const l = await issueCertificate(ca, {
      // No dots: OpenSSL holds a CN that looks like a host name to the DNS constraints too.
      commonName: 'Test leaf',
      dnsNames,
      ipAddresses,
      usage: 'server',
      now,
      validityDays: 1,
    })
    return { certPem: l.certPem, keyPem: l.keyPem! }
  }

  before(async () => {
    ca = await createCertificateAuthority('Constrained CA', {
      now,
      validityDays: 1,
      permitted: scope,
    })
  })
  after(() => undefined)

  it('carries only loopback, IMDS and the installation names', () => {
    assert.deepEqual(permittedNames(ca.certPem), {
      dnsNames: ['localhost', 'vault.example.test'],
      ipAddresses: ['127.0.0.1/32', '::1/128', '169.254.169.254/32'],
    })
    assert.deepEqual(
      namesOutside(scope, { dnsNames: ['a.vault.example.test'], ipAddresses: [] }),
      [],
    )
    assert.deepEqual(namesOutside(scope, { dnsNames: ['evil.test'], ipAddresses: ['10.0.0.1'] }), [
      'evil.test',
      '10.0.0.1',
    ])
  })

  it('lets Node accept its own names', async () => {
    assert.equal(await connect(ca.certPem, await leafFor(['localhost']), 'localhost'), 'ok')
    const vault = await leafFor(['kv1.vault.example.test'])
    assert.equal(await connect(ca.certPem, vault, 'kv1.vault.example.test'), 'ok')
    assert.equal(await connect(ca.certPem, await leafFor([], ['127.0.0.1']), '127.0.0.1'), 'ok')
  })

  it('makes Node refuse a certificate it signed for another name', async () => {
    for (const name of [
      'login.microsoftonline.com',
      'management.azure.com',
      'localhost.evil.test',
    ]) {
      const forged = await leafFor([name])
      await assert.rejects(connect(ca.certPem, forged, name), (e: NodeJS.ErrnoException) => {
        // OpenSSL's X509_V_ERR_PERMITTED_VIOLATION, not a host-name mismatch.
        assert.equal(e.message, 'permitted subtree violation')
        return true
      })
    }
  })

  it('makes Node refuse a certificate it signed for another address', async () => {
    const forged = await leafFor([], ['127.0.0.2'])
    await assert.rejects(connect(ca.certPem, forged, '127.0.0.2'), /permitted subtree violation/)
  })
})
