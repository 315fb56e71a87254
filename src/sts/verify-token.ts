// Verifying Keyless's own tokens for the services in this process: the JWKS comes straight from
// the key ring (no HTTP), algorithms are the one configured (an allow-list of one, so `none`,
// HS256-with-the-public-key and other confusions are refused), and issuer and lifetime are
// checked with a small clock tolerance.
//
// ARM and the data planes verify a bearer token on every request, and clients send the same
// token for as long as it lives: a token that verified is remembered (by its exact string, until
// it expires, at most `cacheSize` of them), so a repeated one skips the signature. Only what
// depends on the token's bytes is remembered: lifetime, issuer and audience are checked on every
// request against the claims, and callers still make their live checks (principal, RBAC). A
// change of published keys (rotation, pruning) forgets every token verified before it.
import { createLocalJWKSet, errors, jwtVerify } from 'jose'
import {
  TokenRejected,
  VerifiedTokenCache,
  type VerifiedClaims,
  type VerifyAccessToken,
} from '../common/access-token.js'
import type { Clock } from '../domain/clock.js'
import { sameAudience } from '../domain/token-claims.js'
import type { KeyRing } from './key-ring.js'

export interface VerifierOptions {
  keyRing: KeyRing
  clock: Clock
  issuer: () => string
  algorithm: string
  clockToleranceSeconds?: number
  /** Verified tokens remembered at most (0 disables). Default 10,000. */
  cacheSize?: number
}

export function createAccessTokenVerifier(o: VerifierOptions): VerifyAccessToken {
  const tolerance = o.clockToleranceSeconds ?? 300
  const verified = new VerifiedTokenCache<VerifiedClaims>(o.cacheSize ?? 10_000)
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

  async function verifySignature(token: string, now: number): Promise<VerifiedClaims> {
    try {
      const result = await jwtVerify(token, currentJwks(), {
        algorithms: [o.algorithm],
        currentDate: new Date(now),
        clockTolerance: tolerance,
        typ: 'JWT',
      })
      return result.payload as VerifiedClaims
    } catch (e) {
      if (e instanceof errors.JWTExpired) {
        throw new TokenRejected('expired', 'the token has expired', { exp: e.payload.exp })
      }
      if (e instanceof errors.JWTClaimValidationFailed && e.claim === 'nbf') {
        throw new TokenRejected('not-yet-valid', 'the token is not valid yet')
      }
      if (
        e instanceof errors.JWKSNoMatchingKey ||
        e instanceof errors.JWSSignatureVerificationFailed
      ) {
        throw new TokenRejected('signature', 'the token signature is invalid')
      }
      throw new TokenRejected('malformed', 'the token is malformed')
    }
  }

  return async (token, audiences) => {
    const now = o.clock.now()
    currentJwks() // forgets remembered tokens if the published keys changed
    // A remembered token is returned only inside its lifetime (exp and nbf, with the same
    // tolerance); outside it, jose decides again and reports why.
    let payload = verified.get(token, Math.floor(now / 1000), tolerance)
    if (!payload) {
      // Frozen: one object now answers many requests.
      payload = Object.freeze(await verifySignature(token, now))
      verified.set(token, payload)
    }
    if (payload.iss !== o.issuer()) {
      throw new TokenRejected('issuer', 'the token is from another issuer', {
        actual: String(payload.iss),
      })
    }
    const aud = typeof payload.aud === 'string' ? payload.aud : ''
    if (!audiences.some((a) => sameAudience(a, aud))) {
      throw new TokenRejected('audience', 'the token is for another audience', { actual: aud })
    }
    return payload
  }
}
