// The agent's client assertion (RFC 7523): a short JWT signed with the host key, the host
// certificate in `x5c`, for one audience (the token endpoint, the events URL or the renew URL).
import { randomUUID, type KeyObject } from 'node:crypto'
import { SignJWT } from 'jose'
import { ASSERTION_ALGORITHM, ASSERTION_MAX_LIFETIME_S } from '../common/agent-protocol.js'
import type { Clock } from '../domain/clock.js'

export interface AssertionSigner {
  hostId: string
  privateKey: KeyObject
  /** Base64 DER of the host certificate. */
  certificateDer: string
}

/** Five minutes: within the server's limit, and long enough for a slow network. */
export const ASSERTION_LIFETIME_S = Math.min(300, ASSERTION_MAX_LIFETIME_S)

export function signAssertion(
  signer: AssertionSigner,
  audience: string,
  clock: Clock,
): Promise<string> {
  const now = Math.floor(clock.now() / 1000)
  return new SignJWT({})
    .setProtectedHeader({ alg: ASSERTION_ALGORITHM, typ: 'JWT', x5c: [signer.certificateDer] })
    .setIssuer(signer.hostId)
    .setSubject(signer.hostId)
    .setAudience(audience)
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + ASSERTION_LIFETIME_S)
    .sign(signer.privateKey)
}
