// Key rotation over a real SQLite store with a controllable clock: a new key is in JWKS before
// it signs; tokens of a retired key verify until they expire; no token is ever signed by a key
// that was not published (for at least the pre-publication period, but for the first key).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { CompactEncrypt, createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWK } from 'jose'
import { openStore } from '../store/index.js'
import type { Store } from '../store/store.js'
import type { RotationPolicy } from '../domain/key-rotation.js'
import { buildAccessTokenClaims } from '../domain/token-claims.js'
import { createKeyRing } from './key-ring.js'
import { generateSigningKey } from './key-material.js'
import { signAccessToken } from './mint.js'
import { deriveKeyHierarchy } from '../common/key-hierarchy.js'

const MIN = 60_000
const DAY = 24 * 60 * MIN
const policy: RotationPolicy = {
  intervalMs: 60 * MIN,
  prePublishMs: 10 * MIN,
  maxTokenLifetimeMs: 15 * MIN,
  skewMs: MIN,
}

describe('signing key rotation', () => {
  let dir: string
  let store: Store
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keyless-keyring-'))
    store = await openStore({ sqliteFile: join(dir, 'k.db') })
  })
  after(async () => {
    await store?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('publishes before signing, keeps retired keys until their tokens expire, then prunes', async () => {
    let now = Date.UTC(2026, 0, 1)
    const start = now
    const clock = { now: () => now }
    const ring = createKeyRing({
      store,
      wrappingKey: deriveKeyHierarchy(randomBytes(32)).forPurpose('signing-keys'),
      clock,
      policy,
      algorithm: 'ES256',
    })
    const firstSeen = new Map<string, number>()
    const tokens: { token: string; exp: number; kid: string }[] = []
    const usedKids = new Set<string>()

    for (; now <= start + 4 * policy.intervalMs; now += MIN) {
      await ring.rotate()
      const published = ring.jwks().keys as (JWK & { kid: string })[]
      for (const k of published) if (!firstSeen.has(k.kid)) firstSeen.set(k.kid, now)

      const key = await ring.signingKey()
      const kids = published.map((k) => k.kid)
      assert.ok(kids.includes(key.kid), 'the signing key is in JWKS')
      if (usedKids.size > 0 && !usedKids.has(key.kid)) {
        assert.ok(
          now - firstSeen.get(key.kid)! >= policy.prePublishMs,
          'a successor was pre-published',
        )
      }
      usedKids.add(key.kid)

      const expiresAt = now + policy.maxTokenLifetimeMs
      const claims = buildAccessTokenClaims({
        issuer: 'https://k/t/',
        audience: 'api://x',
        tenantId: 't',
        subject: { objectId: 'o', appId: 'a', appidacr: '1' },
        now,
        expiresAt,
        tokenId: String(now),
      })
      tokens.push({ token: signAccessToken(claims, key), exp: claims.exp, kid: key.kid })

      // Every token still valid at this moment verifies against the JWKS published now.
      const jwks = createLocalJWKSet({ keys: published })
      for (const t of tokens.filter((t) => t.exp * 1000 > now)) {
        await jwtVerify(t.token, jwks, { currentDate: new Date(now), algorithms: ['ES256'] })
      }
    }
    assert.ok(usedKids.size >= 4, `rotated through ${usedKids.size} keys`)
    const rows = await store.signingKeys.list()
    assert.ok(rows.length <= 3, `old keys were pruned (${rows.length} left)`)
    assert.ok(!rows.some((r) => r.expire_at <= now), 'no expired key remains')
  })

  it('stores private keys encrypted, never in the clear', async () => {
    const rows = await store.signingKeys.list()
    for (const r of rows) {
      assert.equal(r.private_key_enc.split('.').length, 5, 'a compact JWE')
      assert.doesNotMatch(r.private_key_enc, /PRIVATE KEY/)
      assert.equal((JSON.parse(r.public_jwk) as JWK).d, undefined)
    }
  })

  it('signs with a key wrapped under the raw master key by an installation from before', async () => {
    const master = randomBytes(32)
    const now = Date.UTC(2027, 0, 1)
    const legacyStore = await openStore({ sqliteFile: join(dir, 'legacy.db') })
    try {
      const key = await generateSigningKey('ES256', now, now + 30 * DAY)
      // Exactly what the code before key derivation stored: `dir` + A256GCM, no kid.
      const pkcs8 = key.privateKey.export({ format: 'der', type: 'pkcs8' })
      const wrapped = await new CompactEncrypt(pkcs8)
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
        .encrypt(master)
      await legacyStore.signingKeys.create({
        kid: key.kid,
        alg: 'ES256',
        public_jwk: JSON.stringify(key.publicJwk),
        private_key_enc: wrapped,
        created_at: now - DAY,
        activate_at: now - DAY,
        retire_at: now + 10 * DAY,
        expire_at: now + 30 * DAY,
      })
      const ring = createKeyRing({
        store: legacyStore,
        wrappingKey: deriveKeyHierarchy(master).forPurpose('signing-keys'),
        clock: { now: () => now },
        policy,
        algorithm: 'ES256',
      })
      await ring.rotate()
      assert.equal((await ring.signingKey()).kid, key.kid)
      // Keys it creates from now on are wrapped under the derived key.
      const created = (await legacyStore.signingKeys.list()).filter((r) => r.kid !== key.kid)
      for (const r of created) {
        assert.equal(decodeProtectedHeader(r.private_key_enc).kid, 'keyless/signing-keys/v1')
      }
    } finally {
      await legacyStore.close()
    }
  })
})
