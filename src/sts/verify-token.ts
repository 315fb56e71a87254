// Verifying Keyless's own tokens for the services in this process, under the one token policy
// (common/token-verification.ts): the JWKS comes straight from the key ring (no HTTP), the
// algorithm is the one configured, and the lifetime cap is the longest the installation issues.
//
// ARM and the data planes verify a bearer token on every request, and clients send the same
// token for as long as it lives: a token that verified is remembered (by its exact string, until
// it expires, at most `cacheSize` of them), so a repeated one skips the signature. Only what
// depends on the token's bytes is remembered: lifetime, issuer and audience are checked on every
// request against the claims, and callers still make their live checks (principal, RBAC). A
// change of published keys (rotation, pruning) forgets every token verified before it.
import { createLocalJWKSet } from 'jose'
import {
  TokenRejected,
  VerifiedTokenCache,
  type VerifiedClaims,
  type VerifyAccessToken,
} from '../common/access-token.js'
import { verifyUnderPolicy } from '../common/token-verification.js'
import type { Clock } from '../domain/clock.js'
import { sameAudience } from '../domain/token-claims.js'
import { checkPolicy, MAX_CLOCK_SKEW_SECONDS, type TokenPolicy } from '../domain/token-policy.js'
import type { KeyRing } from './key-ring.js'

export interface VerifierOptions {
  keyRing: KeyRing
  clock: Clock
  issuer: () => string
  tenantId: string
  algorithm: string
  /** The longest lifetime this installation issues a token for. */
  maxLifetimeSeconds: number
  clockToleranceSeconds?: number
  /** Verified tokens remembered at most (0 disables). Default 10,000. */
  cacheSize?: number
}

export function createAccessTokenVerifier(o: VerifierOptions): VerifyAccessToken {
  const tolerance = o.clockToleranceSeconds ?? 300
  const verified = new VerifiedTokenCache<VerifiedClaims>(o.cacheSize ?? 10_000)
  // The issuer is known once the server listens: the policy is rebuilt when it changes.
  let policy: TokenPolicy | undefined
  const policyNow = () => {
    const issuer = o.issuer()
    if (policy?.issuer !== issuer) {
      policy = checkPolicy({
        issuer,
        tenantId: o.tenantId,
        algorithms: [o.algorithm],
        maxLifetimeSeconds: o.maxLifetimeSeconds,
        skewSeconds: tolerance,
      })
      verified.clear()
    }
    return policy
  }
  if (tolerance > MAX_CLOCK_SKEW_SECONDS) throw new TypeError('clock tolerance above 5 minutes')
  // Rebuild the local JWKS only when the published key ids change (rotation, pruning).
  let kids: string | undefined
  let jwks: ReturnType<typeof createLocalJWKSet>
  const currentJwks = () => {
    const { keys } = o.keyRing.jwks()
    const now = keys.map((k) => k.kid).join(' ')
    if (now !== kids) {
      kids = now
      jwks = createLocalJWKSet({ keys })
      verified.clear()
    }
    return jwks
  }

  return async (token, audiences) => {
    const now = o.clock.now()
    const p = policyNow()
    const keys = currentJwks() // forgets remembered tokens if the published keys changed
    // A remembered token is returned only inside its lifetime (exp and nbf, with the same
    // tolerance); outside it, the policy decides again and reports why.
    let payload = verified.get(token, Math.floor(now / 1000), tolerance)
    if (!payload) {
      const { claims } = await verifyUnderPolicy(token, keys, p, now)
      // Frozen: one object now answers many requests.
      payload = Object.freeze(claims) as VerifiedClaims
      verified.set(token, payload)
    }
    const aud = payload.aud
    if (!audiences.some((a) => sameAudience(a, aud))) {
      throw new TokenRejected('audience', 'the token is for another audience', { actual: aud })
    }
    return payload
  }
}
