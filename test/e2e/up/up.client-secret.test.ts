// `keyless up` end to end: the real @azure/identity ClientSecretCredential, in its own process,
// gets a token using only endpoints.json; the token verifies with jose against the published
// JWKS and issuer; a second start reuses everything; SIGTERM shuts down cleanly.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { createLocalJWKSet, jwtVerify, decodeProtectedHeader } from 'jose'
import { ROOT, startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { https } from '../../helpers/https.js'

const run = promisify(execFile)

async function sdkToken(k: KeylessProcess, scope?: string) {
  const { stdout } = await run(
    process.execPath,
    [
      join(ROOT, 'test/fixtures/client-secret-token.mjs'),
      join(k.dataDir, 'endpoints.json'),
      ...(scope ? [scope] : []),
    ],
    { env: { ...process.env, NODE_EXTRA_CA_CERTS: k.endpoints.caCertFile } },
  )
  return JSON.parse(stdout) as { token: string; expiresOnTimestamp: number }
}

async function verifyWithDiscovery(k: KeylessProcess, token: string, audience: string) {
  const discovery = (
    await https(
      `${k.endpoints.authorityHost}/${k.endpoints.tenantId}/.well-known/openid-configuration`,
      { ca: k.ca },
    )
  ).json()
  const jwks = (await https(discovery.jwks_uri, { ca: k.ca })).json()
  return jwtVerify(token, createLocalJWKSet(jwks), {
    issuer: discovery.issuer,
    audience,
    algorithms: ['RS256'],
  })
}

describe('keyless up with the operator credential', () => {
  let k: KeylessProcess
  before(async () => {
    k = await startKeyless()
  })
  after(async () => k?.dispose())

  it('writes endpoints.json with the documented keys', () => {
    for (const key of [
      'tenantId',
      'subscriptionId',
      'authorityHost',
      'managementEndpoint',
      'caCertFile',
      'adminCredentialFile',
    ]) {
      assert.equal(typeof k.endpoints[key], 'string', key)
    }
    assert.match(k.endpoints.authorityHost, /^https:\/\/127\.0\.0\.1:\d+$/)
    assert.equal(k.admin.tenantId, k.endpoints.tenantId)
  })

  it('keeps every secret file readable by its owner only', () => {
    for (const f of ['admin.json', 'master.key', 'ca.key', 'tls.key']) {
      assert.equal(statSync(join(k.dataDir, f)).mode & 0o777, 0o600, f)
    }
  })

  it('issues a token to ClientSecretCredential that verifies against JWKS and the issuer', async () => {
    const { token, expiresOnTimestamp } = await sdkToken(k)
    const { payload, protectedHeader } = await verifyWithDiscovery(
      k,
      token,
      'https://management.azure.com',
    )
    assert.equal(payload.iss, `${k.endpoints.authorityHost}/${k.endpoints.tenantId}/`)
    assert.equal(payload.tid, k.endpoints.tenantId)
    assert.equal(payload.appid, k.admin.clientId)
    assert.equal(payload.sub, payload.oid)
    assert.equal(payload.idtyp, 'app')
    assert.equal(payload.appidacr, '1')
    assert.equal(payload.ver, '1.0')
    assert.equal(typeof payload.uti, 'string')
    assert.equal(protectedHeader.typ, 'JWT')
    assert.equal(protectedHeader.x5t, protectedHeader.kid)
    assert.ok(Math.abs(expiresOnTimestamp - (payload.exp as number) * 1000) < 5_000)
  })

  it('publishes JWKS keys with kid, x5t and x5c', async () => {
    const jwks = (await https(k.endpoints.jwksUri, { ca: k.ca })).json()
    assert.ok(jwks.keys.length >= 1)
    for (const key of jwks.keys) {
      assert.equal(key.kty, 'RSA')
      assert.equal(key.use, 'sig')
      assert.equal(key.kid, key.x5t)
      assert.ok(Array.isArray(key.x5c) && key.x5c.length === 1)
      assert.equal(key.d, undefined, 'no private parts')
    }
  })

  it('reuses tenant, credentials and signing key on a second start, after a clean SIGTERM', async () => {
    const first = await sdkToken(k, 'https://vault.azure.net/.default')
    const kid = decodeProtectedHeader(first.token).kid
    assert.equal(await k.stop('SIGTERM'), 0)
    const again = await startKeyless({ dataDir: k.dataDir })
    try {
      assert.equal(again.endpoints.tenantId, k.endpoints.tenantId)
      assert.deepEqual(again.admin, k.admin)
      const second = await sdkToken(again, 'https://vault.azure.net/.default')
      assert.equal(decodeProtectedHeader(second.token).kid, kid)
      await verifyWithDiscovery(again, second.token, 'https://vault.azure.net')
    } finally {
      assert.equal(await again.stop('SIGINT'), 0)
    }
  })
})
