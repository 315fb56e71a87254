// Authenticating a data-plane caller: the bearer token must verify (signature, issuer, lifetime,
// one of the service's audiences) and its principal must still exist. Each service renders the
// failure in its own format from the `reason`.
import {
  bearerToken,
  REVOCATION_MESSAGES,
  TokenRejected,
  type TokenRevocation,
  type VerifiedClaims,
} from '../common/access-token.js'
import type { DataPlaneOptions } from './options.js'

export type CallerFailure = 'missing' | 'malformed' | TokenRejected['reason'] | TokenRevocation

export type CallerResult =
  { ok: true; claims: VerifiedClaims } | { ok: false; failure: CallerFailure; message: string }

export async function authenticateCaller(
  authorization: string | undefined,
  audiences: readonly string[],
  o: Pick<DataPlaneOptions, 'verifyToken' | 'revocationOf'>,
): Promise<CallerResult> {
  const token = bearerToken(authorization)
  if (token === undefined)
    return { ok: false, failure: 'missing', message: 'the request has no bearer token' }
  if (token === null)
    return {
      ok: false,
      failure: 'malformed',
      message: 'the Authorization header is not a bearer token',
    }
  let claims: VerifiedClaims
  try {
    claims = await o.verifyToken(token, audiences)
  } catch (e) {
    if (e instanceof TokenRejected) return { ok: false, failure: e.reason, message: e.message }
    throw e
  }
  const revoked = await o.revocationOf(claims)
  if (revoked) return { ok: false, failure: revoked, message: REVOCATION_MESSAGES[revoked] }
  return { ok: true, claims }
}
