// Verifying a Keyless access token under the one policy (domain/token-policy.ts), for every
// verifier: the server's own (ARM, Graph, vault, blob, hosts and events APIs, through
// sts/verify-token.ts) and `keyless/verify` in users' services. The steps, in order:
// 1. the policy reads the token strictly (size, shape, duplicate members, header allow-list);
// 2. jose checks the signature with a key from the installation's own JWKS only, and its own
//    date rules, with the same algorithms and skew;
// 3. the policy checks the claims Keyless always issues.
// Errors of the key source that are not the token's fault (JWKS unreachable) are rethrown as
// they are, for the caller to answer 503.
import {
  errors,
  jwtVerify,
  type CryptoKey,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from 'jose'
import {
  checkClaims,
  decodeToken,
  isPolicyViolation,
  type PolicyViolation,
  type TokenPolicy,
} from '../domain/token-policy.js'
import { TokenRejected } from './access-token.js'

export type VerificationKey = CryptoKey | JWTVerifyGetKey

export interface PolicyVerified {
  claims: Record<string, unknown>
  /** The key a key function resolved (for callers that remember it per header). */
  key?: CryptoKey
}

export function rejectionOf(v: PolicyViolation): TokenRejected {
  return new TokenRejected(v.reason, v.message, { exp: v.exp, actual: v.actual })
}

/** Whether a jose error is about the key source rather than the token. */
export function isKeySourceFailure(e: unknown): boolean {
  return (
    !(e instanceof errors.JOSEError) ||
    e.code === 'ERR_JWKS_TIMEOUT' ||
    e.code === 'ERR_JWKS_INVALID'
  )
}

/** Verifies `token` at `nowMs` under `policy`; throws TokenRejected for any token refused. */
export async function verifyUnderPolicy(
  token: string,
  key: VerificationKey,
  policy: TokenPolicy,
  nowMs: number,
): Promise<PolicyVerified> {
  const decoded = decodeToken(token, policy)
  if (isPolicyViolation(decoded)) throw rejectionOf(decoded)
  const options: JWTVerifyOptions = {
    algorithms: [...policy.algorithms],
    clockTolerance: policy.skewSeconds,
    currentDate: new Date(nowMs),
  }
  let resolved: CryptoKey | undefined
  try {
    if (typeof key === 'function')
      resolved = (await jwtVerify(token, key, options)).key as CryptoKey
    else await jwtVerify(token, key, options)
  } catch (e) {
    throw joseRejection(e)
  }
  const violation = checkClaims(decoded.claims, policy, Math.floor(nowMs / 1000))
  if (violation) throw rejectionOf(violation)
  return { claims: decoded.claims, ...(resolved ? { key: resolved } : {}) }
}

function joseRejection(e: unknown): unknown {
  if (e instanceof errors.JWTExpired) {
    return new TokenRejected('expired', 'the token has expired', {
      exp: typeof e.payload.exp === 'number' ? e.payload.exp : undefined,
    })
  }
  if (e instanceof errors.JWTClaimValidationFailed && e.claim === 'nbf') {
    return new TokenRejected('not-yet-valid', 'the token is not valid yet')
  }
  if (e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWSSignatureVerificationFailed) {
    return new TokenRejected('signature', 'the token signature is invalid')
  }
  if (isKeySourceFailure(e)) return e
  return new TokenRejected('malformed', 'the token is malformed')
}
