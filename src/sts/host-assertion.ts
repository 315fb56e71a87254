// Authenticating an agent host by its client assertion (RFC 7523): an ES256 JWT whose `x5c`
// carries the host certificate. The certificate must chain to the Keyless CA and be valid now;
// the JWT must verify with its key, name the host as iss and sub, be addressed to this endpoint,
// be short-lived and not replayed; and the host must still be active (revocation is immediate).
import { X509Certificate } from 'node:crypto'
import { decodeProtectedHeader, errors, jwtVerify } from 'jose'
import { ASSERTION_ALGORITHM, ASSERTION_MAX_LIFETIME_S } from '../common/agent-protocol.js'
import { oauthError } from '../common/oauth-error.js'
import { isIssuedBy } from '../common/pki.js'
import type { Clock } from '../domain/clock.js'
import type { HostRow } from '../store/schema.js'
import type { HostRegistry } from '../directory/hosts.js'

export interface HostAssertionOptions {
  caCertPem: string
  hosts: Pick<HostRegistry, 'fetch'>
  clock: Clock
}

const bad = (aadsts: number, message: string) => oauthError(401, 'invalid_client', aadsts, message)

/** Remembers assertion ids until they expire, so each assertion is accepted once. */
function createReplayGuard() {
  const seen = new Map<string, number>()
  return (jti: string, exp: number, now: number): boolean => {
    if (seen.size > 10_000) for (const [k, e] of seen) if (e <= now) seen.delete(k)
    if (seen.has(jti)) return false
    seen.set(jti, exp)
    return true
  }
}

export function createHostAuthenticator(o: HostAssertionOptions) {
  const firstUse = createReplayGuard()

  return async function authenticateHost(assertion: string, audiences: string[]): Promise<HostRow> {
    const now = o.clock.now()
    let header: ReturnType<typeof decodeProtectedHeader>
    try {
      header = decodeProtectedHeader(assertion)
    } catch {
      throw bad(50027, 'The client assertion is not a valid JWT.')
    }
    if (
      header.alg !== ASSERTION_ALGORITHM ||
      !Array.isArray(header.x5c) ||
      header.x5c.length === 0
    ) {
      throw bad(5002738, `The client assertion must be ${ASSERTION_ALGORITHM} with an x5c header.`)
    }
    let cert: X509Certificate
    try {
      cert = new X509Certificate(Buffer.from(header.x5c[0]!, 'base64'))
    } catch {
      throw bad(5002738, 'The client assertion certificate cannot be read.')
    }
    if (!isIssuedBy(cert.toString(), o.caCertPem, now)) {
      throw bad(
        700027,
        'The client assertion certificate is not issued by Keyless or is not valid now.',
      )
    }
    const hostId = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1] ?? ''
    let exp: number
    let jti: unknown
    try {
      const { payload } = await jwtVerify(assertion, cert.publicKey, {
        algorithms: [ASSERTION_ALGORITHM],
        issuer: hostId,
        subject: hostId,
        audience: audiences,
        currentDate: new Date(now),
        clockTolerance: 60,
        maxTokenAge: ASSERTION_MAX_LIFETIME_S + 60,
        requiredClaims: ['exp', 'iat', 'jti'],
      })
      exp = payload.exp!
      jti = payload.jti
      if (exp - payload.iat! > ASSERTION_MAX_LIFETIME_S)
        throw bad(700024, 'The client assertion lives too long.')
    } catch (e) {
      if (
        e instanceof errors.JWTExpired ||
        (e instanceof errors.JWTClaimValidationFailed && e.claim === 'iat')
      ) {
        throw bad(700024, 'Client assertion is not within its valid time range.')
      }
      if (e instanceof errors.JWTClaimValidationFailed) {
        throw bad(700021, `Client assertion claim '${e.claim}' is invalid.`)
      }
      if (e instanceof Error && 'status' in e) throw e
      throw bad(700027, 'Client assertion failed signature validation.')
    }
    if (typeof jti !== 'string' || !firstUse(jti, exp * 1000, now)) {
      throw bad(700021, 'The client assertion was already used.')
    }
    const host = await o.hosts.fetch(hostId)
    if (!host) throw bad(700016, `Host '${hostId}' is not enrolled.`)
    if (host.state !== 'active') throw bad(7000112, `Host '${hostId}' is revoked.`)
    return host
  }
}

export type HostAuthenticator = ReturnType<typeof createHostAuthenticator>
