// The in-process token verifier over a real key ring: a token that verified once is remembered,
// but every check that depends on the request or the time is made again for each one.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes, randomUUID } from 'node:crypto'
import { TokenRejected } from '../common/access-token.js'
import type { RotationPolicy } from '../domain/key-rotation.js'
import { buildAccessTokenClaims } from '../domain/token-claims.js'
import { openStore } from '../store/index.js'
import type { Store } from '../store/store.js'
import { createKeyRing, type KeyRing } from './key-ring.js'
import { signAccessToken } from './mint.js'
import { createAccessTokenVerifier } from './verify-token.js'
import { deriveKeyHierarchy } from '../common/key-hierarchy.js'

const HOUR = 3_600_000
const policy: RotationPolicy = {
  intervalMs: 24 * HOUR,
  prePublishMs: HOUR,
  maxTokenLifetimeMs: HOUR,
  skewMs: 60_000,
}
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const ISSUER = `https://127.0.0.1:8443/${TENANT}/`

describe('access token verifier', () => {
  let dir: string
  let store: Store
  let ring: KeyRing
  let now = Date.UTC(2026, 0, 1)
  const clock = { now: () => now }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keyless-verify-token-'))
    store = await openStore({ sqliteFile: join(dir, 'k.db') })
    ring = createKeyRing({
      store,
      wrappingKey: deriveKeyHierarchy(randomBytes(32)).forPurpose('signing-keys'),
      clock,
      policy,
      algorithm: 'ES256',
    })
    await ring.rotate()
  })
  after(async () => {
    await store?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  async function mint(audience: string, lifetimeMs = HOUR / 2) {
    const claims = buildAccessTokenClaims({
      issuer: ISSUER,
      audience,
      tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      subject: { objectId: randomUUID(), appId: randomUUID(), appidacr: '1' },
      now,
      expiresAt: now + lifetimeMs,
      tokenId: randomUUID(),
    })
    return signAccessToken(claims, await ring.signingKey())
  }

  const verifier = () =>
    createAccessTokenVerifier({
      keyRing: ring,
      clock,
      issuer: () => ISSUER,
      tenantId: TENANT,
      algorithm: 'ES256',
      maxLifetimeSeconds: 3600,
    })

  const rejection = (reason: string) => (e: unknown) =>
    e instanceof TokenRejected && e.reason === reason

  it('checks the audience on every request, also for a token it verified before', async () => {
    const verify = verifier()
    const token = await mint('api://a')
    assert.equal((await verify(token, ['api://a'])).aud, 'api://a')
    assert.equal((await verify(token, ['api://a'])).aud, 'api://a')
    await assert.rejects(verify(token, ['api://b']), rejection('audience'))
  })

  it('checks the issuer on every request', async () => {
    let issuer = ISSUER
    const verify = createAccessTokenVerifier({
      keyRing: ring,
      clock,
      issuer: () => issuer,
      tenantId: TENANT,
      algorithm: 'ES256',
      maxLifetimeSeconds: 3600,
    })
    const token = await mint('api://a')
    await verify(token, ['api://a'])
    issuer = 'https://elsewhere/'
    await assert.rejects(verify(token, ['api://a']), rejection('issuer'))
  })

  it('refuses a remembered token once it has expired (beyond the tolerance)', async () => {
    const verify = verifier()
    const token = await mint('api://a', 60_000)
    await verify(token, ['api://a'])
    now += 60_000 + 300_000
    await assert.rejects(verify(token, ['api://a']), rejection('expired'))
  })

  it('refuses a token that shares the signature of one it verified', async () => {
    const verify = verifier()
    const token = await mint('api://a')
    await verify(token, ['api://a'])
    const [header, payload, signature] = token.split('.')
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString())
    const forged = Buffer.from(JSON.stringify({ ...claims, oid: randomUUID() })).toString(
      'base64url',
    )
    await assert.rejects(
      verify(`${header}.${forged}.${signature}`, ['api://a']),
      rejection('signature'),
    )
  })
})
