// Verifying Keyless's own tokens for the services in this process: the JWKS comes straight from
// the key ring (no HTTP), algorithms are the one configured (an allow-list of one, so `none`,
// HS256-with-the-public-key and other confusions are refused), and issuer and lifetime are
// checked with a small clock tolerance.
import { createLocalJWKSet, errors, jwtVerify } from 'jose'
import {
  TokenRejected,
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
}

export function createAccessTokenVerifier(o: VerifierOptions): VerifyAccessToken {
  // Rebuild the local JWKS only when the published key ids change (rotation, pruning).
  let kids: string | undefined
  let jwks: ReturnType<typeof createLocalJWKSet>
  const currentJwks = () => {
    const { keys } = o.keyRing.jwks()
    const now = keys.map((k) => k.kid).join(' ')
    if (now !== kids) {
      kids = now
      jwks = createLocalJWKSet({ keys })
    }
    return jwks
  }

  return async (token, audiences) => {
    let payload: VerifiedClaims
    try {
      const result = await jwtVerify(token, currentJwks(), {
        algorithms: [o.algorithm],
        currentDate: new Date(o.clock.now()),
        clockTolerance: o.clockToleranceSeconds ?? 300,
        typ: 'JWT',
      })
      payload = result.payload as VerifiedClaims
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
