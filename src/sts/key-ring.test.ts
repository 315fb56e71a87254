// Key rotation over a real SQLite store with a controllable clock: a new key is in JWKS before
// it signs; tokens of a retired key verify until they expire; no token is ever signed by a key
// that was not published (for at least the pre-publication period, but for the first key).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { createLocalJWKSet, jwtVerify, type JWK } from 'jose'
import { openStore } from '../store/index.js'
import type { Store } from '../store/store.js'
import type { RotationPolicy } from '../domain/key-rotation.js'
import { buildAccessTokenClaims } from '../domain/token-claims.js'
import { createKeyRing } from './key-ring.js'
import { signAccessToken } from './mint.js'
import { deriveKeyHierarchy } from '../common/key-hierarchy.js'

const MIN = 60_000
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
})
